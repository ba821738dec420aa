//! What ships beside the code for operators, checked against the code: docker-compose.yml and
//! the Dockerfile (no Docker engine runs here, so their content is checked), `.env.example`
//! and the README's configuration table.

use std::collections::BTreeSet;
use std::path::Path;

use clap::CommandFactory;
use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()))
}

/// The environment variable of every setting of the binary.
fn settings() -> BTreeSet<String> {
    let command = cress_api::cli::Cli::command();
    let names: BTreeSet<String> = command
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert!(names.len() > 20, "the settings are found: {names:?}");
    names
}

/// The variables `.env.example` documents, set (`NAME=`) or commented out (`# NAME=`).
fn documented() -> BTreeSet<String> {
    repo_file(".env.example")
        .lines()
        .map(|line| line.trim_start_matches('#').trim())
        .filter_map(|line| line.split_once('='))
        .map(|(name, _)| name.trim())
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

/// The `${NAME}` and `${NAME:-default}` that the compose file takes from `.env` (not `$${…}`,
/// which compose leaves to the container's shell).
fn interpolated(text: &str) -> BTreeSet<String> {
    text.match_indices("${")
        .filter(|(at, _)| *at == 0 || !text[..*at].ends_with('$'))
        .filter_map(|(at, _)| {
            let rest = &text[at + 2..];
            let end = rest.find(['}', ':', '-'])?;
            Some(rest[..end].to_owned())
        })
        .collect()
}

fn compose() -> Yaml {
    let text = repo_file("docker-compose.yml");
    let mut docs = YamlLoader::load_from_str(&text).expect("docker-compose.yml is YAML");
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

/// A compose `environment` mapping as (name, value) pairs.
fn environment(service: &Yaml) -> Vec<(String, String)> {
    service["environment"]
        .as_hash()
        .expect("environment is a mapping")
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Yaml::String(s) => s.clone(),
                Yaml::Integer(i) => i.to_string(),
                other => panic!("{k:?} has a value of another kind: {other:?}"),
            };
            (k.as_str().expect("a name").to_owned(), value)
        })
        .collect()
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} is set: {pairs:?}"))
}

/// `${NAME:-default}` → `default` (what compose uses when `.env` does not set it).
fn with_defaults(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed ${…}") + start;
        let inner = &rest[start + 2..end];
        out.push_str(inner.split_once(":-").map_or("", |(_, default)| default));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn compose_runs_postgres_16_with_a_volume_and_a_healthcheck() {
    let doc = compose();
    let db = &doc["services"]["db"];
    let image = db["image"].as_str().expect("an image");
    assert!(image.starts_with("postgres:16"), "PostgreSQL 16: {image}");
    let volumes = db["volumes"].as_vec().expect("volumes");
    let data = volumes
        .iter()
        .filter_map(Yaml::as_str)
        .find(|v| v.ends_with(":/var/lib/postgresql/data"))
        .expect("the data folder is a volume");
    let name = data.split(':').next().unwrap_or_default();
    assert!(
        !doc["volumes"][name].is_badvalue(),
        "the named volume {name} is declared"
    );
    let test = db["healthcheck"]["test"].as_vec().expect("a healthcheck");
    assert!(
        test.iter()
            .filter_map(Yaml::as_str)
            .any(|part| part.contains("pg_isready")),
        "the healthcheck asks pg_isready: {test:?}"
    );
}

#[test]
fn compose_serves_the_api_on_localhost_8080_through_a_proxy_once_postgres_is_healthy() {
    let doc = compose();
    let api = &doc["services"]["api"];
    assert_eq!(
        api["build"].as_str(),
        Some("."),
        "built from this repository's Dockerfile"
    );
    assert_eq!(
        api["depends_on"]["db"]["condition"].as_str(),
        Some("service_healthy"),
        "waits for the database"
    );
    // No host port on the api service, so that `--scale api=3` can start three of them.
    assert!(
        api["ports"].is_badvalue(),
        "the api publishes no port: {:?}",
        api["ports"]
    );
    let env = environment(api);
    let bind = value(&env, "BIND_ADDRESS");
    let container_port = bind.rsplit(':').next().expect("a port");
    assert!(
        bind.starts_with("0.0.0.0:"),
        "listens on every interface of the container: {bind}"
    );
    // The proxy publishes 8080 on this machine only and passes every request to the api.
    let proxy = &doc["services"]["proxy"];
    let ports: Vec<&str> = proxy["ports"]
        .as_vec()
        .expect("the proxy's ports")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(ports, ["127.0.0.1:8080:8080"], "published on localhost only");
    let mounted = proxy["volumes"]
        .as_vec()
        .expect("the proxy's configuration is mounted")
        .iter()
        .filter_map(Yaml::as_str)
        .find_map(|v| v.strip_suffix(":/etc/nginx/nginx.conf:ro"))
        .expect("nginx.conf is mounted read-only");
    let nginx = repo_file(mounted.trim_start_matches("./"));
    assert!(nginx.contains("listen 8080;"), "{nginx}");
    assert!(
        nginx.contains(&format!("http://api:{container_port};")),
        "proxied to the api's port: {nginx}"
    );
    assert!(
        nginx.contains("X-Forwarded-For"),
        "the client's address reaches the api"
    );
    assert_eq!(
        proxy["depends_on"]["api"]["condition"].as_str(),
        Some("service_healthy")
    );
    let trusted = value(&env, "TRUSTED_PROXIES");
    assert!(
        cress_api::config::IpRanges::parse(trusted).is_ok_and(|r| !r.0.is_empty()),
        "the api believes the proxy's X-Forwarded-For: {trusted}"
    );
    // The database URL names the db service with the db service's account.
    let db_env = environment(&doc["services"]["db"]);
    // The required password as if .env set it to `secret`.
    let with_password = |text: &str| {
        let start = text.find("${POSTGRES_PASSWORD:?").expect("the password is required");
        let end = start + text[start..].find('}').expect("a closed ${…}");
        with_defaults(&format!("{}secret{}", &text[..start], &text[end + 1..]))
    };
    let url = url::Url::parse(&with_password(value(&env, "DATABASE_URL"))).expect("a database URL");
    assert_eq!(url.scheme(), "postgres");
    assert_eq!(url.host_str(), Some("db"), "the db service");
    assert_eq!(url.username(), with_defaults(value(&db_env, "POSTGRES_USER")));
    assert_eq!(
        url.password().unwrap_or_default(),
        with_password(value(&db_env, "POSTGRES_PASSWORD"))
    );
    assert_eq!(url.path(), format!("/{}", with_defaults(value(&db_env, "POSTGRES_DB"))));
    // The rest comes from .env, which is optional.
    let env_file = &api["env_file"][0];
    assert_eq!(env_file["path"].as_str(), Some(".env"));
    assert_eq!(env_file["required"].as_bool(), Some(false));
}

#[test]
fn compose_refuses_to_start_without_a_database_password_or_a_signing_secret() {
    let doc = compose();
    let db_env = environment(&doc["services"]["db"]);
    let api_env = environment(&doc["services"]["api"]);
    // `${NAME:?message}`: compose stops with the message when .env leaves NAME unset or empty.
    for (name, text) in [
        ("POSTGRES_PASSWORD", value(&db_env, "POSTGRES_PASSWORD")),
        ("POSTGRES_PASSWORD", value(&api_env, "DATABASE_URL")),
        ("JWT_SECRET", value(&api_env, "JWT_SECRET")),
    ] {
        assert!(
            text.contains(&format!("${{{name}:?")),
            "{name} is required, no default: {text}"
        );
        assert!(!text.contains(&format!("${{{name}:-")), "{name} has no default: {text}");
    }
    let example = repo_file(".env.example");
    let example_value = |name: &str| {
        example
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{name}=")))
            .map(str::trim)
    };
    assert_eq!(
        example_value("POSTGRES_PASSWORD"),
        Some(""),
        "copying .env.example gives no working password"
    );
}

#[test]
fn compose_uses_only_settings_and_variables_that_env_example_documents() {
    let text = repo_file("docker-compose.yml");
    let documented = documented();
    let settings = settings();
    let doc = compose();
    for (name, _) in environment(&doc["services"]["api"]) {
        assert!(settings.contains(&name), "the api's {name} is a setting of cress-api");
        assert!(documented.contains(&name), "the api's {name} is in .env.example");
    }
    for name in interpolated(&text) {
        assert!(
            documented.contains(&name),
            "${{{name}}} of the compose file is in .env.example"
        );
    }
}

#[test]
fn every_setting_is_in_env_example_and_in_the_readme_configuration_table() {
    let documented = documented();
    let readme = repo_file("README.md");
    let table: Vec<&str> = readme.lines().filter(|line| line.starts_with("| `")).collect();
    for name in settings() {
        assert!(documented.contains(&name), "{name} is in .env.example");
        assert!(
            table.iter().any(|row| row.contains(&format!("`{name}`"))),
            "{name} is in the README's configuration table"
        );
    }
}

#[test]
fn dockerfile_builds_the_release_binary_and_runs_it_unprivileged_with_a_healthcheck() {
    let text = repo_file("Dockerfile");
    let instructions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let stages: Vec<&&str> = instructions.iter().filter(|line| line.starts_with("FROM ")).collect();
    assert!(stages.len() >= 2, "multi-stage: {stages:?}");
    assert!(
        text.contains("cargo build --release --locked --bin cress-api"),
        "the release binary, from the lock file"
    );
    // What the build stage copies exists in the repository.
    for line in instructions
        .iter()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let words: Vec<&str> = line
            .split_whitespace()
            .skip(1)
            .filter(|w| !w.starts_with("--"))
            .collect();
        for source in &words[..words.len() - 1] {
            assert!(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(source).exists(),
                "{source} (copied by the Dockerfile) exists"
            );
        }
    }
    let final_stage = text.rsplit("\nFROM ").next().expect("a final stage");
    let user = final_stage
        .lines()
        .find_map(|line| line.trim().strip_prefix("USER "))
        .expect("the runtime stage sets a USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(uid != "0" && uid != "root", "the service does not run as root: {user}");
    assert!(
        final_stage.contains(r#"CMD ["/usr/local/bin/cress-api", "healthcheck"]"#),
        "a HEALTHCHECK with the binary's own check"
    );
    assert!(final_stage.contains("EXPOSE 8080"), "the port compose publishes");
    assert!(
        final_stage.contains(r#"ENTRYPOINT ["/usr/local/bin/cress-api"]"#),
        "exec form, so that the server receives SIGTERM"
    );
    let ignored = repo_file(".dockerignore");
    for path in ["target", ".env", ".git"] {
        assert!(
            ignored.lines().any(|l| l.trim() == path),
            "{path} stays out of the build context"
        );
    }
}
