//! The problem types (RFC 9457) this service answers, written once: each problem's `type` is
//! `/problems/{code}`, and `GET /problems/{code}` answers what the code means, its status and
//! what to do — an HTML page for a browser, JSON otherwise — in the language of the request. The
//! field-error codes of `errors[]` are listed here too. Their words are in the catalogues
//! (`locales/fr.ftl`, `locales/en.ftl`), by code: `problem-<code>` (the title),
//! `problem-<code>-meaning`, `problem-<code>-remedy` and `field-code-<code>`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr, Response};
use utoipa::{Modify, ToSchema};

use crate::domain::message::{Lang, Message, msg};
use crate::http::error::ApiError;
use crate::http::language::content_language;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(describe_problem);
}

/// One problem type: its code and status. Its title, meaning and remedy are [`Message`]s of the
/// catalogues, keyed by the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    /// The `code` of the problem (and the last segment of its `type`).
    pub code: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
}

const fn problem(code: &'static str, status: u16) -> ProblemType {
    ProblemType { code, status }
}

impl ProblemType {
    /// Its title, the `title` of every problem answer with its code (`problem-<code>`).
    pub fn title(&self) -> Message {
        title(self.code)
    }

    /// What it means (`problem-<code>-meaning`).
    pub fn meaning(&self) -> Message {
        msg!(format!("problem-{}-meaning", self.code))
    }

    /// What to do about it (`problem-<code>-remedy`).
    pub fn remedy(&self) -> Message {
        msg!(format!("problem-{}-remedy", self.code))
    }

    /// Its code, status and words in `lang`: what `GET /problems/{code}` answers.
    pub fn described(&self, lang: Lang) -> ProblemDescription {
        ProblemDescription {
            code: self.code,
            status: self.status,
            title: self.title().render(lang),
            meaning: self.meaning().render(lang),
            remedy: self.remedy().render(lang),
        }
    }
}

// The JSON answer of `GET /problems/{code}`: a problem type with its words in one language. Its
// schema keeps the name `ProblemType` it had when the type held English literals (the doc comment
// below is its OpenAPI description).
/// One problem type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProblemType)]
pub struct ProblemDescription {
    /// The `code` of the problem (and the last segment of its `type`).
    pub code: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
    pub title: String,
    /// What it means.
    pub meaning: String,
    /// What to do about it.
    pub remedy: String,
}

/// The title of the problems with `code`, the `title` of their answers (`problem-<code>`).
pub fn title(code: &str) -> Message {
    msg!(format!("problem-{code}"))
}

/// Every problem code the service answers.
pub const PROBLEMS: &[ProblemType] = &[
    problem("bad_request", 400),
    problem("malformed_json", 400),
    problem("unreadable_body", 400),
    problem("invalid_parameter", 400),
    problem("invalid_cursor", 400),
    problem("invalid_idempotency_key", 400),
    problem("invalid_request", 400),
    problem("invalid_grant", 400),
    problem("unsupported_grant_type", 400),
    problem("unauthenticated", 401),
    problem("invalid_token", 401),
    problem("invalid_client", 401),
    problem("forbidden", 403),
    problem("not_found", 404),
    problem("method_not_allowed", 405),
    problem("not_acceptable", 406),
    problem("upload_stalled", 408),
    problem("duplicate", 409),
    problem("in_use", 409),
    problem("concurrent_update", 409),
    problem("illegal_transition", 409),
    problem("open_accreditation", 409),
    problem("last_admin", 409),
    problem("already_member", 409),
    problem("idempotency_key_in_use", 409),
    problem("precondition_failed", 412),
    problem("payload_too_large", 413),
    problem("unsupported_media_type", 415),
    problem("validation_failed", 422),
    problem("rows_invalid", 422),
    problem("malformed_csv", 422),
    problem("malformed_xlsx", 422),
    problem("too_many_rows", 422),
    problem("idempotency_key_reused", 422),
    problem("too_many_requests", 429),
    problem("client_error", 400),
    problem("internal_error", 500),
    problem("service_unavailable", 503),
    problem("request_timeout", 503),
];

/// `(code, key)` pairs: each code with the catalogue key of its meaning, `field-code-<code>`.
macro_rules! field_codes {
    ($($code:literal),* $(,)?) => {
        &[$(($code, concat!("field-code-", $code))),*]
    };
}

/// Every `code` of a field error (`errors[].code`), with the catalogue key of what it means
/// (`field-code-<code>`: `Message::new(key)` words it).
pub const FIELD_CODES: &[(&str, &str)] = field_codes![
    "required",
    "blank",
    "too_long",
    "too_short",
    "too_many",
    "invalid_format",
    "invalid_checksum",
    "unknown_code",
    "mismatch",
    "not_allowed",
    "out_of_range",
    "in_future",
    "before_start",
    "same_as_sponsor",
    "counterparts_over_25_percent",
    "unsupported_currency",
    "invalid_type",
    "unknown_field",
    "unknown_value",
    "duplicate_field",
    "not_found",
    "duplicate",
    "duplicate_in_file",
    "forbidden",
    "unsafe_url",
];

/// Gives the OpenAPI document the closed sets of codes, as enums: every problem `code` (of
/// `Problem`, `ProblemType` and the path of `GET /problems/{code}`) and every field-error `code`
/// (of `FieldError`), so that a client can translate or switch on each of them.
pub struct ClosedCodes;

impl Modify for ClosedCodes {
    fn modify(&self, openapi: &mut OpenApi) {
        let problems: Vec<Value> = PROBLEMS.iter().map(|p| Value::from(p.code)).collect();
        let fields: Vec<Value> = FIELD_CODES.iter().map(|(code, _)| Value::from(*code)).collect();
        if let Some(components) = openapi.components.as_mut() {
            for (schema, codes) in [
                ("Problem", &problems),
                ("ProblemType", &problems),
                ("FieldError", &fields),
            ] {
                if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(schema)
                    && let Some(RefOr::T(Schema::Object(code))) = object.properties.get_mut("code")
                {
                    code.enum_values = Some(codes.clone());
                }
            }
        }
        let page = openapi
            .paths
            .paths
            .get_mut("/problems/{code}")
            .and_then(|item| item.get.as_mut());
        for parameter in page
            .and_then(|operation| operation.parameters.as_mut())
            .into_iter()
            .flatten()
        {
            if let RefOr::T(parameter) = parameter
                && parameter.name == "code"
                && let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
            {
                schema.enum_values = Some(problems.clone());
            }
        }
    }
}

/// Titles every problem example of the OpenAPI document from the catalogue (in English), so
/// that an example shows the `title` an answer with its `code` carries: one source of titles
/// (the examples written in the code carry none).
pub struct ExampleTitles;

impl Modify for ExampleTitles {
    fn modify(&self, openapi: &mut OpenApi) {
        let operations = openapi.paths.paths.values_mut().flat_map(|item| {
            [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
        });
        let mut responses: Vec<&mut Response> = operations
            .flat_map(|operation| operation.responses.responses.values_mut())
            .filter_map(|response| match response {
                RefOr::T(response) => Some(response),
                RefOr::Ref(_) => None,
            })
            .collect();
        if let Some(components) = openapi.components.as_mut() {
            responses.extend(components.responses.values_mut().filter_map(|response| match response {
                RefOr::T(response) => Some(response),
                RefOr::Ref(_) => None,
            }));
        }
        for content in responses.into_iter().flat_map(|r| r.content.values_mut()) {
            let RefOr::T(content) = content else { continue };
            let named = content.examples.values_mut().filter_map(|example| match example {
                RefOr::T(example) => example.value.as_mut(),
                RefOr::Ref(_) => None,
            });
            content.example.iter_mut().chain(named).for_each(retitle);
        }
        if let Some(RefOr::T(Schema::Object(problem))) = openapi
            .components
            .as_mut()
            .and_then(|components| components.schemas.get_mut("Problem"))
        {
            problem.example.iter_mut().for_each(retitle);
        }
    }
}

/// Gives a problem example the title of its `code`, in English.
fn retitle(example: &mut Value) {
    if let Some(problem) = example["code"].as_str().and_then(find) {
        example["title"] = Value::from(problem.title().render(Lang::En));
    }
}

/// The problem type of `code`, if there is one.
pub fn find(code: &str) -> Option<&'static ProblemType> {
    PROBLEMS.iter().find(|p| p.code == code)
}

/// What a problem code means.
///
/// The `type` of every problem answer is `/problems/{code}`: this is that page. HTML for a
/// browser (`Accept: text/html`), else JSON: the code, its status, title, meaning and remedy.
#[utoipa::path(
    tag = "problems",
    params(("code" = String, Path, description = "A problem code, such as `validation_failed`.")),
    responses(
        (status = 200, description = "What the code means and what to do.", body = ProblemDescription,
            content_type = "application/json"),
    )
)]
#[get("/{code}")]
pub async fn describe_problem(req: HttpRequest, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let problem = find(&code).ok_or_else(|| {
        ApiError::NotFound(msg!(
            "problems-unknown",
            code = code.chars().take(64).collect::<String>()
        ))
    })?;
    let lang = Lang::current();
    let described = problem.described(lang);
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(content_language())
            .body(page(&described, lang)))
    } else {
        Ok(HttpResponse::Ok().insert_header(content_language()).json(described))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The HTML page of a problem type, its words in `lang` (no script, no style: the content
/// security policy allows none).
fn page(problem: &ProblemDescription, lang: Lang) -> String {
    let words = |message: Message| escape(&message.render(lang));
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"{tag}\"><head><meta charset=\"utf-8\"><title>{title} · cress-api</title></head>\
         <body><h1>{title}</h1><p><code>{code}</code> · {status}</p><h2>{meaning_heading}</h2><p>{meaning}</p>\
         <h2>{remedy_heading}</h2><p>{remedy}</p>",
        tag = lang.tag(),
        title = escape(&problem.title),
        code = escape(problem.code),
        status = words(msg!("problems-page-status", status = problem.status.to_string())),
        meaning_heading = words(msg!("problems-page-meaning")),
        meaning = escape(&problem.meaning),
        remedy_heading = words(msg!("problems-page-remedy")),
        remedy = escape(&problem.remedy),
    );
    if matches!(problem.code, "validation_failed" | "rows_invalid") {
        html.push_str(&format!("<h2>{}</h2><dl>", words(msg!("problems-page-field-codes"))));
        for (code, key) in FIELD_CODES {
            let meaning = words(Message::new(*key));
            html.push_str(&format!("<dt><code>{code}</code></dt><dd>{meaning}</dd>"));
        }
        html.push_str("</dl>");
    }
    html.push_str(&format!(
        "<p><a href=\"/swagger-ui/\">{}</a></p></body></html>\n",
        words(msg!("problems-page-documentation"))
    ));
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::assert_keys;

    #[test]
    fn every_problem_code_and_field_code_is_listed_once() {
        let mut codes: Vec<&str> = PROBLEMS.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len());
        let mut fields: Vec<&str> = FIELD_CODES.iter().map(|(c, _)| *c).collect();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(fields.len(), FIELD_CODES.len());
    }

    #[test]
    fn every_problem_code_and_field_code_has_its_words_in_both_languages() {
        let mut keys: Vec<String> = PROBLEMS
            .iter()
            .flat_map(|p| {
                [
                    format!("problem-{}", p.code),
                    format!("problem-{}-meaning", p.code),
                    format!("problem-{}-remedy", p.code),
                ]
            })
            .collect();
        for (code, key) in FIELD_CODES {
            assert_eq!(*key, format!("field-code-{code}"));
            keys.push((*key).to_owned());
        }
        for page_word in ["status", "meaning", "remedy", "field-codes", "documentation"] {
            keys.push(format!("problems-page-{page_word}"));
        }
        keys.push("problems-unknown".to_owned());
        assert_keys(keys.into_iter().map(|key| (key, "problem pages".to_owned())));
    }

    #[test]
    fn every_problem_reads_differently_in_french_and_in_english() {
        for problem in PROBLEMS {
            let (fr, en) = (problem.described(Lang::Fr), problem.described(Lang::En));
            assert_eq!((fr.code, fr.status), (en.code, en.status));
            assert_ne!(
                fr.meaning, en.meaning,
                "{} means the same in both languages",
                problem.code
            );
            assert_ne!(
                fr.remedy, en.remedy,
                "{} has the same remedy in both languages",
                problem.code
            );
        }
    }

    #[test]
    fn a_french_page_is_in_french_and_an_english_page_in_english() {
        let problem = find("validation_failed").expect("a problem type");
        let fr = page(&problem.described(Lang::Fr), Lang::Fr);
        assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
        assert!(fr.contains("Requête invalide") && fr.contains("Que faire"), "{fr}");
        assert!(
            fr.contains("Codes d'erreur des champs") && fr.contains("<code>required</code>"),
            "{fr}"
        );
        assert!(!fr.contains("What to do"), "{fr}");
        let en = page(&problem.described(Lang::En), Lang::En);
        assert!(en.contains("<html lang=\"en\">"), "{en}");
        assert!(en.contains("Invalid request") && en.contains("What to do"), "{en}");
        assert!(!en.contains("Que faire"), "{en}");
    }

    #[test]
    fn the_json_answer_is_in_the_language_asked() {
        let problem = find("not_found").expect("a problem type");
        let fr = serde_json::to_value(problem.described(Lang::Fr)).unwrap();
        let en = serde_json::to_value(problem.described(Lang::En)).unwrap();
        assert_eq!((&fr["code"], &fr["status"]), (&en["code"], &en["status"]));
        assert_eq!(en["title"], "Not found");
        assert_eq!(fr["title"], "Introuvable");
    }

    #[test]
    fn the_page_escapes_its_text() {
        let described = ProblemDescription {
            code: "x",
            status: 400,
            title: "<b>".into(),
            meaning: "a & b".into(),
            remedy: "c > d".into(),
        };
        let html = page(&described, Lang::En);
        assert!(html.contains("&lt;b&gt;") && html.contains("a &amp; b") && html.contains("c &gt; d"));
    }
}
