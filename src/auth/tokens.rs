//! Access tokens: the claims, the signing key and the verification keys, and the checks every
//! token passes (pinned algorithm, signature, time, issuer, audience, role and scope).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{AuthSettings, DatabaseUrl, Settings, default_sqlite_path};
use crate::core::role::{Role, RoleName};

/// Shortest HS256 secret accepted (RFC 7518 §3.2: a key at least as long as the hash output).
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// Who: a user's id, an API client's `client_id`, or the name given to `cress-api token`.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    /// A unique id of this token.
    pub jti: String,
    pub role: String,
    /// The region of a `cress_manager`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The organisation of a `partner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub token_id: String,
}

/// Why a token was refused; the text goes into `error_description`, so it says what is wrong
/// without echoing anything the caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token is not signed with the algorithm this service uses")]
    Algorithm,
    #[error("the token is signed by an unknown key")]
    UnknownKey,
    #[error("the token signature is invalid")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token was issued by another issuer")]
    Issuer,
    #[error("the token is meant for another audience")]
    Audience,
    #[error("the token carries an unknown role")]
    Role,
    #[error("the token's role and scope do not match")]
    Scope,
}

/// What signs and verifies tokens, loaded once at start-up.
pub struct Keys {
    algorithm: Algorithm,
    signing: EncodingKey,
    signing_kid: Option<String>,
    /// The verification keys by `kid` (`None` for the single HS256 secret).
    verifying: Vec<(Option<String>, DecodingKey)>,
    validation: Validation,
    issuer: String,
    audience: String,
    /// Tokens already verified, with what they speak for, kept while they are valid: a client
    /// sends the same token with every request, and checking its signature again each time was
    /// a tenth of the server's work on a read. A hit is taken only inside the token's
    /// `nbf`..`exp` window (with the same leeway); anything else is verified in full.
    verified: Mutex<HashMap<Box<str>, Verified>>,
}

/// A verified token's principal and validity window.
#[derive(Debug, Clone)]
struct Verified {
    principal: Principal,
    nbf: i64,
    exp: i64,
}

/// How many verified tokens [`Keys`] remembers; when full it forgets them all (a few hundred
/// bytes each: at most about a megabyte).
const VERIFIED_MAX: usize = 2048;

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("algorithm", &self.algorithm)
            .field("signing_kid", &self.signing_kid)
            .field(
                "verifying",
                &self.verifying.iter().map(|(kid, _)| kid).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// The keys the settings name: PEM files, `JWT_SECRET`, or else the generated secret kept
    /// beside the database (made on first use). The server and `cress-api token` call this
    /// alike, so they always agree.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let auth = &settings.auth;
        let keys = match (&auth.jwt_secret, &auth.jwt_private_key_file) {
            (Some(_), Some(_)) => bail!("set either JWT_SECRET or JWT_PRIVATE_KEY_FILE, not both"),
            (None, None) if !auth.jwt_public_key_files.is_empty() => {
                bail!("JWT_PUBLIC_KEY_FILES needs JWT_PRIVATE_KEY_FILE (the key that signs tokens)")
            }
            (Some(secret), None) => {
                if !auth.jwt_public_key_files.is_empty() {
                    bail!("JWT_PUBLIC_KEY_FILES is for key pairs; it cannot go with JWT_SECRET");
                }
                let secret = secret.expose_secret().as_bytes();
                if secret.len() < MIN_SECRET_BYTES {
                    bail!(
                        "JWT_SECRET is {} bytes long; it must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)",
                        secret.len()
                    );
                }
                Self::from_secret(secret, auth)
            }
            (None, Some(private)) => Self::from_pem_files(private, &auth.jwt_public_key_files, auth)?,
            (None, None) => {
                let path = generated_secret_path(settings);
                let secret = load_or_generate_secret(&path)?;
                Self::from_secret(secret.as_bytes(), auth)
            }
        };
        keys.self_check()?;
        Ok(keys)
    }

    /// HS256 with a shared secret.
    pub fn from_secret(secret: &[u8], auth: &AuthSettings) -> Self {
        Self::new(
            Algorithm::HS256,
            EncodingKey::from_secret(secret),
            None,
            vec![(None, DecodingKey::from_secret(secret))],
            auth,
        )
    }

    /// EdDSA or RS256 from PEM files; the algorithm follows the private key.
    fn from_pem_files(private: &Path, public: &[PathBuf], auth: &AuthSettings) -> anyhow::Result<Self> {
        let pem = std::fs::read(private)
            .with_context(|| format!("JWT_PRIVATE_KEY_FILE {} cannot be read", private.display()))?;
        let (algorithm, signing) = if let Ok(key) = EncodingKey::from_ed_pem(&pem) {
            (Algorithm::EdDSA, key)
        } else if let Ok(key) = EncodingKey::from_rsa_pem(&pem) {
            (Algorithm::RS256, key)
        } else {
            bail!(
                "JWT_PRIVATE_KEY_FILE {} is not an Ed25519 or RSA private key in PEM form",
                private.display()
            );
        };
        let signing_kid = key_id(private)?;
        if public.is_empty() {
            bail!("JWT_PUBLIC_KEY_FILES is empty: list the public key of JWT_PRIVATE_KEY_FILE at least");
        }
        let mut verifying: Vec<(Option<String>, DecodingKey)> = Vec::new();
        for path in public {
            let pem = std::fs::read(path)
                .with_context(|| format!("JWT_PUBLIC_KEY_FILES: {} cannot be read", path.display()))?;
            let key = match algorithm {
                Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem),
                _ => DecodingKey::from_rsa_pem(&pem),
            }
            .map_err(|_| {
                anyhow::anyhow!(
                    "JWT_PUBLIC_KEY_FILES: {} is not a {} public key in PEM form (every key must be of the signing key's kind)",
                    path.display(),
                    if algorithm == Algorithm::EdDSA { "Ed25519" } else { "RSA" }
                )
            })?;
            let kid = key_id(path)?;
            if verifying
                .iter()
                .any(|(known, _)| known.as_deref() == Some(kid.as_str()))
            {
                bail!("JWT_PUBLIC_KEY_FILES: two files have the kid {kid}");
            }
            verifying.push((Some(kid), key));
        }
        if !verifying
            .iter()
            .any(|(kid, _)| kid.as_deref() == Some(signing_kid.as_str()))
        {
            bail!(
                "JWT_PUBLIC_KEY_FILES has no key with the kid {signing_kid} of JWT_PRIVATE_KEY_FILE: list its public key"
            );
        }
        Ok(Self::new(algorithm, signing, Some(signing_kid), verifying, auth))
    }

    fn new(
        algorithm: Algorithm,
        signing: EncodingKey,
        signing_kid: Option<String>,
        verifying: Vec<(Option<String>, DecodingKey)>,
        auth: &AuthSettings,
    ) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.set_issuer(&[&auth.jwt_issuer]);
        validation.set_audience(&[&auth.jwt_audience]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            algorithm,
            signing,
            signing_kid,
            verifying,
            validation,
            issuer: auth.jwt_issuer.clone(),
            audience: auth.jwt_audience.clone(),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// Signs a token and verifies it, so that a private key that does not match its listed
    /// public key stops the start instead of every later request.
    fn self_check(&self) -> anyhow::Result<()> {
        let claims = self.claims_for("self-check", &Role::Viewer, 60);
        let token = self.sign(&claims)?;
        self.verify(&token).map(|_| ()).map_err(|error| {
            anyhow::anyhow!("JWT_PRIVATE_KEY_FILE and its public key in JWT_PUBLIC_KEY_FILES do not match ({error})")
        })
    }

    /// The algorithm every token must be signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The claims of a new access token for `subject` with `role`, valid `ttl_seconds` from now.
    pub fn claims_for(&self, subject: &str, role: &Role, ttl_seconds: u64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(ttl_seconds).unwrap_or(i64::MAX / 2);
        Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.to_owned(),
            exp: now.saturating_add(ttl),
            iat: now,
            nbf: now,
            jti: Uuid::now_v7().to_string(),
            role: role.name().as_str().to_owned(),
            region: role.region().map(|r| r.as_str().to_owned()),
            org: role.org().map(|o| o.to_string()),
        }
    }

    /// Signs `claims` as they are (tests use this to make expired or foreign tokens too).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(self.algorithm);
        header.kid = self.signing_kid.clone();
        jsonwebtoken::encode(&header, claims, &self.signing).context("cannot sign the token")
    }

    /// Checks a token and says who it speaks for: a token verified before is taken as it was
    /// while the clock is inside its validity window; any other is checked completely.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        let inside = |v: &Verified| v.nbf <= now.saturating_add(leeway) && now.saturating_sub(leeway) <= v.exp;
        let remembered = self
            .remembered()
            .get(token)
            .filter(|v| inside(v))
            .map(|v| v.principal.clone());
        if let Some(principal) = remembered {
            return Ok(principal);
        }
        let verified = self.verify_fully(token)?;
        let principal = verified.principal.clone();
        let mut remembered = self.remembered();
        if remembered.len() >= VERIFIED_MAX {
            remembered.clear();
        }
        remembered.insert(token.into(), verified);
        Ok(principal)
    }

    /// The verified tokens (a panic while holding them leaves nothing half-written: the map is
    /// only read, inserted into or cleared).
    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Verified>> {
        self.verified.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Checks a token completely: header, key, signature, claims, role and scope.
    fn verify_fully(&self, token: &str) -> Result<Verified, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|error| match error.kind() {
            // `alg: none` and unknown algorithms fail here, as the header does not parse.
            ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => TokenError::Algorithm,
            _ => TokenError::Malformed,
        })?;
        if header.alg != self.algorithm {
            return Err(TokenError::Algorithm);
        }
        let key = match (&self.signing_kid, header.kid.as_deref()) {
            (None, _) => self.verifying.first().map(|(_, key)| key),
            (Some(_), Some(kid)) => self
                .verifying
                .iter()
                .find(|(known, _)| known.as_deref() == Some(kid))
                .map(|(_, key)| key),
            (Some(_), None) => None,
        }
        .ok_or(TokenError::UnknownKey)?;
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|error| match error.kind() {
                ErrorKind::InvalidSignature => TokenError::Signature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::Issuer,
                ErrorKind::InvalidAudience => TokenError::Audience,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::MissingAlgorithm => {
                    TokenError::Algorithm
                }
                _ => TokenError::Malformed,
            })?;
        let claims = data.claims;
        let name = RoleName::parse(&claims.role).ok_or(TokenError::Role)?;
        let org = match claims.org.as_deref() {
            Some(raw) => Some(Uuid::from_str(raw).map_err(|_| TokenError::Scope)?),
            None => None,
        };
        let role = Role::from_parts(name, claims.region.as_deref(), org).map_err(|_| TokenError::Scope)?;
        Ok(Verified {
            principal: Principal {
                subject: claims.sub,
                role,
                token_id: claims.jti,
            },
            nbf: claims.nbf,
            exp: claims.exp,
        })
    }
}

/// The `kid` of a key file: its name up to the first dot (`2026-11.pub.pem` → `2026-11`).
fn key_id(path: &Path) -> anyhow::Result<String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let kid = name.split('.').next().unwrap_or_default();
    if kid.is_empty() || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        bail!(
            "the key file {} needs a name such as 2026-11.pem: its kid is the name up to the first dot (letters, digits, - and _)",
            path.display()
        );
    }
    Ok(kid.to_owned())
}

/// Where the generated secret lives: beside the SQLite file, or under `data/` on PostgreSQL
/// (and for an in-memory SQLite database).
pub fn generated_secret_path(settings: &Settings) -> PathBuf {
    let database = match &settings.database_url {
        None => Some(default_sqlite_path()),
        Some(DatabaseUrl::Sqlite(url)) => sqlx::sqlite::SqliteConnectOptions::from_str(url.expose_secret())
            .ok()
            .map(|options| options.get_filename().to_path_buf())
            .filter(|path| !path.as_os_str().is_empty() && path.as_os_str() != ":memory:"),
        Some(DatabaseUrl::Postgres(_)) => None,
    };
    match database {
        Some(file) => {
            let mut name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            name.push(".jwt-secret");
            file.with_file_name(name)
        }
        None => PathBuf::from("data").join("jwt-secret"),
    }
}

/// Reads the generated secret, or makes a random one (256 bits) and keeps it with owner-only
/// permissions. The file is written whole under a temporary name and then linked into place,
/// so two processes starting together end up with the same secret.
fn load_or_generate_secret(path: &Path) -> anyhow::Result<String> {
    if let Some(secret) = read_secret(path)? {
        return Ok(secret);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let secret = URL_SAFE_NO_PAD.encode(crate::auth::password::random_bytes::<32>());
    let temporary = path.with_file_name(format!(".jwt-secret-{}", Uuid::now_v7().simple()));
    write_owner_only(&temporary, &secret)?;
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::warn!(
                path = %path.display(),
                "no JWT_SECRET nor JWT_PRIVATE_KEY_FILE: generated a random token signing secret and kept it in this file (owner-only); set JWT_SECRET or key files in production"
            );
            Ok(secret)
        }
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            read_secret(path)?.with_context(|| format!("{} is empty", path.display()))
        }
        Err(error) => Err(error).with_context(|| format!("cannot write the token secret {}", path.display())),
    }
}

fn read_secret(path: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let secret = text.trim().to_owned();
            if secret.len() < MIN_SECRET_BYTES {
                bail!(
                    "the token secret in {} is shorter than {MIN_SECRET_BYTES} bytes: delete the file to make a new one",
                    path.display()
                );
            }
            Ok(Some(secret))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read the token secret {}", path.display())),
    }
}

fn write_owner_only(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_secret(&[7u8; 32], &AuthSettings::with_secret("unused"))
    }

    #[test]
    fn verify_accepts_what_sign_made_and_reads_the_role_and_scope() {
        let keys = keys();
        let org = Uuid::now_v7();
        let token = keys
            .sign(&keys.claims_for("someone", &Role::Partner { org }, 60))
            .unwrap();
        let principal = keys.verify(&token).unwrap();
        assert_eq!(principal.role, Role::Partner { org });
        assert_eq!(principal.subject, "someone");
    }

    #[test]
    fn verify_refuses_tokens_whose_claims_are_wrong() {
        let keys = keys();
        let good = keys.claims_for("someone", &Role::Viewer, 60);
        let cases: Vec<(Claims, TokenError)> = vec![
            (
                Claims {
                    exp: good.iat - 3600,
                    ..good.clone()
                },
                TokenError::Expired,
            ),
            (
                Claims {
                    nbf: good.iat + 3600,
                    ..good.clone()
                },
                TokenError::NotYetValid,
            ),
            (
                Claims {
                    iss: "someone-else".into(),
                    ..good.clone()
                },
                TokenError::Issuer,
            ),
            (
                Claims {
                    aud: "another-api".into(),
                    ..good.clone()
                },
                TokenError::Audience,
            ),
            (
                Claims {
                    role: "superuser".into(),
                    ..good.clone()
                },
                TokenError::Role,
            ),
            (
                Claims {
                    role: "cress_manager".into(),
                    ..good.clone()
                },
                TokenError::Scope,
            ),
            (
                Claims {
                    role: "partner".into(),
                    org: Some("not-a-uuid".into()),
                    ..good.clone()
                },
                TokenError::Scope,
            ),
        ];
        for (claims, expected) in cases {
            let token = keys.sign(&claims).unwrap();
            assert_eq!(keys.verify(&token), Err(expected), "{claims:?}");
        }
    }

    #[test]
    fn a_token_verified_once_is_taken_from_memory_only_inside_its_validity_window() {
        let keys = keys();
        let token = keys.sign(&keys.claims_for("someone", &Role::Viewer, 60)).unwrap();
        assert_eq!(keys.verify(&token).unwrap().subject, "someone");
        // What is remembered is what a hit answers, without checking the signature again.
        let now = chrono::Utc::now().timestamp();
        let mut remembered = keys.remembered().get(token.as_str()).cloned().unwrap();
        remembered.principal.subject = "remembered".into();
        keys.remembered().insert(token.as_str().into(), remembered.clone());
        assert_eq!(keys.verify(&token).unwrap().subject, "remembered");
        // Outside the window (past `exp`, or before `nbf`, beyond the leeway) the token is
        // verified in full again: here still valid, so the memory is written anew.
        for (nbf, exp) in [(now - 600, now - 31), (now + 31, now + 600)] {
            keys.remembered().insert(
                token.as_str().into(),
                Verified {
                    nbf,
                    exp,
                    ..remembered.clone()
                },
            );
            assert_eq!(keys.verify(&token).unwrap().subject, "someone", "window {nbf}..{exp}");
        }
    }

    #[test]
    fn an_expired_token_is_refused_even_after_it_was_accepted() {
        let keys = keys();
        let claims = keys.claims_for("someone", &Role::Viewer, 60);
        let token = keys
            .sign(&Claims {
                exp: claims.iat - 3600,
                ..claims
            })
            .unwrap();
        let principal = Principal {
            subject: "someone".into(),
            role: Role::Viewer,
            token_id: "x".into(),
        };
        let (nbf, exp) = (0, chrono::Utc::now().timestamp() - 3600);
        keys.remembered()
            .insert(token.as_str().into(), Verified { principal, nbf, exp });
        assert_eq!(keys.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn verify_refuses_another_key_and_garbage() {
        let other = Keys::from_secret(&[8u8; 32], &AuthSettings::with_secret("unused"));
        let token = other.sign(&other.claims_for("x", &Role::Admin, 60)).unwrap();
        assert_eq!(keys().verify(&token), Err(TokenError::Signature));
        assert_eq!(keys().verify("not.a.token"), Err(TokenError::Malformed));
        assert_eq!(keys().verify(""), Err(TokenError::Malformed));
    }

    #[test]
    fn key_id_is_the_file_name_up_to_the_first_dot() {
        assert_eq!(key_id(Path::new("/keys/2026-11.pub.pem")).unwrap(), "2026-11");
        assert_eq!(key_id(Path::new("signing_key.pem")).unwrap(), "signing_key");
        assert!(key_id(Path::new("/keys/.pem")).is_err());
    }

    // Key pairs made for these tests only (openssl genpkey), never used elsewhere.
    const ED_2026_10: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMGC6bllX3gU+lxVijZSfujXoVSL9+y+zAy3F2nI7DF/\n-----END PRIVATE KEY-----\n";
    const ED_2026_10_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAIkxWxSAybysCuU7Gi+2zyqJsmhS/SXvyOZfTiY1y0i4=\n-----END PUBLIC KEY-----\n";
    const ED_2026_11: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEILTKAPlBuG1SUJDiTD0tPy3tUY9oSIuKvTEiG9Q2M3Ij\n-----END PRIVATE KEY-----\n";
    const ED_2026_11_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAlcfduJ0yMZe4EWllh0R0BtayyJppVNduWki7omonvDk=\n-----END PUBLIC KEY-----\n";
    const RSA_1: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCNSMS7lm3959Dt\nAKHbeF32qrIgSZ6XYQ+V/hAPSuXKex1bj4A/7FHxn72xGpAOtHPcM1vUMOKCK4p5\nWJ4O6c0fI0iWgFUJPjza3B8APLqoAtsZukrCOZHPRN96rQrjhRJ3fT1B3JLms5D0\nDTVCPeOIYCyuYsZx/6SJb00+Z7D2mpqiKpiwLNctDPjVtyOq3eFKhcEI5WKaursE\neykRePJlJn3dLr4WflKQOUZcvWAQ8lN9UZNzna39tnZo/uLFFgWGCfakY8GxArrb\nfWyTPXviXy5aqBfEPpY6tCdnkppSElkVut9U5XTspV9FOx/esB5/GJpqGE2QNDpA\nnS1bFospAgMBAAECggEADWdDxbWY1/uJ7DARCuaFiIkLVsmRLnSOc1j72k2NVQse\nvwDTRo0zfXAdgXufAswfCTsEmVHtbTK3A3nTHeBTncJ9yIxidNrnEE7NcJryTM3f\njhZosPof8XlL18IqnCjT1ormuLS1qYYLyIFnxfHj3/xaxMz5XVeGuySYYAUbilt+\nlkSjNkr+n8MJiYbcEeS3CO+IiX6qt+jOz5uLH1HVJpYn5aechQEeyDG0mx+IufsY\nkxDcjW2c/m9V00BJvH2rX+TAgBuIUIALxCw9t4tUsrChv85+4pDKBXFohf56w7GI\nbhx8o5IILI6dxua8tU7S5vP8qa5dkNuG+rhEtYokQQKBgQDGKdfcMa9pxUc26PNz\nnV3JZdt8HD+0XMpN5zsf+jH9kWeFRIWHhUXAl+LKQyN93LOX4suvccGxnfDI/cm/\n1+3IGAtuiygk0QBlignPtALkAslcD9FAJ5RzsYL5OiyVdWOIb8BZ2dAYYCnfM55j\nCkBynsfoIOQaqxeQ3WyHeo41aQKBgQC2hRalv3Cmr0AseQAL0jznaJ9w/E5MdBfq\nCY8fgtvckB/GJj7sVZqtoxCnuLs3PB82DRrtwknn0MdW5XodgWv1KkGcJsHpxzZM\n7higOJzPrMMEwojzs3fkjDtOPw/7zoWaqCyxbCFBk1TMKhxa1OXqylkKNUYpV+9J\n2KbjzUIvwQKBgQCoGIyUq8z58zACwz7ovv/0vKOftzLO47t0tAZyjMDlMPfYk5SV\nrhbKVc06+BLeTF5IJEnWDLBa4/iB9s6yHxAEoWjpH8Aw4t3sRFkoSLH/CuIWZxCA\n1FJYhabtlUyGh+qjrPBFB8A/PSunu9jKeMLMuCYpoeT9Pk8iQsIydmK1qQKBgCfF\nCBJFjH5FYW5PTztELBEgMt2jnEv8X9mXC6CKGu4MWWALpVpJrNJ43YAuOFzotMRK\nRrvXwdLJIyZECj+zm5poArPLniUaSzKoDqWasFBwDG5VFRJE4LLj+2gpRYpQjbwN\nOO/P588qEygJZPRFv3NRc+VNhmQrzPACTRsF9o4BAoGAay7JTWa3aAHUDc3Zj2mK\nzTwYbRxDNLDyB1IEajMlAa9kd6ElnFt6iO9is26oR4CJHXUZvm/PxrE/Xl/9VZYb\n+phGHqVSmbir5BXle35rOKpxgizwr8bBrbhk0APz8Oq6d0hvBVNyoO6VGcx9xnzM\nepBB6UMVQwwRf09VBbDZkKg=\n-----END PRIVATE KEY-----\n";
    const RSA_1_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAjUjEu5Zt/efQ7QCh23hd\n9qqyIEmel2EPlf4QD0rlynsdW4+AP+xR8Z+9sRqQDrRz3DNb1DDigiuKeVieDunN\nHyNIloBVCT482twfADy6qALbGbpKwjmRz0Tfeq0K44USd309QdyS5rOQ9A01Qj3j\niGAsrmLGcf+kiW9NPmew9pqaoiqYsCzXLQz41bcjqt3hSoXBCOVimrq7BHspEXjy\nZSZ93S6+Fn5SkDlGXL1gEPJTfVGTc52t/bZ2aP7ixRYFhgn2pGPBsQK6231skz17\n4l8uWqgXxD6WOrQnZ5KaUhJZFbrfVOV07KVfRTsf3rAefxiaahhNkDQ6QJ0tWxaL\nKQIDAQAB\n-----END PUBLIC KEY-----\n";

    /// Writes `files` (name, content) into a temporary folder and returns it.
    fn key_files(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        dir
    }

    fn pem_settings(dir: &Path, private: &str, public: &[&str]) -> AuthSettings {
        let mut settings = AuthSettings::with_secret("unused");
        settings.jwt_secret = None;
        settings.jwt_private_key_file = Some(dir.join(private));
        settings.jwt_public_key_files = public.iter().map(|name| dir.join(name)).collect();
        settings
    }

    fn load_pem(settings: &AuthSettings) -> anyhow::Result<Keys> {
        let keys = Keys::from_pem_files(
            settings.jwt_private_key_file.as_deref().unwrap(),
            &settings.jwt_public_key_files,
            settings,
        )?;
        keys.self_check()?;
        Ok(keys)
    }

    #[test]
    fn pem_keys_sign_eddsa_with_a_kid_and_verify_tokens_of_every_listed_key() {
        let dir = key_files(&[
            ("2026-10.pem", ED_2026_10),
            ("2026-10.pub.pem", ED_2026_10_PUB),
            ("2026-11.pem", ED_2026_11),
            ("2026-11.pub.pem", ED_2026_11_PUB),
        ]);
        let old = load_pem(&pem_settings(dir.path(), "2026-10.pem", &["2026-10.pub.pem"])).unwrap();
        let new = load_pem(&pem_settings(
            dir.path(),
            "2026-11.pem",
            &["2026-11.pub.pem", "2026-10.pub.pem"],
        ))
        .unwrap();
        assert_eq!(new.algorithm(), Algorithm::EdDSA);
        let token = new.sign(&new.claims_for("x", &Role::Admin, 60)).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some("2026-11"));
        assert!(new.verify(&token).is_ok());
        let before_rotation = old.sign(&old.claims_for("x", &Role::Admin, 60)).unwrap();
        assert!(
            new.verify(&before_rotation).is_ok(),
            "a token of the previous key still verifies"
        );
        assert_eq!(
            old.verify(&token),
            Err(TokenError::UnknownKey),
            "a key not listed is unknown"
        );
    }

    #[test]
    fn pem_keys_refuse_an_hs256_token_made_with_the_public_key_as_secret() {
        let dir = key_files(&[("2026-11.pem", ED_2026_11), ("2026-11.pub.pem", ED_2026_11_PUB)]);
        let keys = load_pem(&pem_settings(dir.path(), "2026-11.pem", &["2026-11.pub.pem"])).unwrap();
        let forged = Keys::from_secret(ED_2026_11_PUB.as_bytes(), &AuthSettings::with_secret("unused"));
        let mut claims = forged.claims_for("x", &Role::Admin, 60);
        claims.iss = "cress-api".into();
        let token = forged.sign(&claims).unwrap();
        assert_eq!(keys.verify(&token), Err(TokenError::Algorithm));
    }

    #[test]
    fn pem_keys_sign_rs256_from_an_rsa_key() {
        let dir = key_files(&[("rsa-1.pem", RSA_1), ("rsa-1.pub.pem", RSA_1_PUB)]);
        let keys = load_pem(&pem_settings(dir.path(), "rsa-1.pem", &["rsa-1.pub.pem"])).unwrap();
        assert_eq!(keys.algorithm(), Algorithm::RS256);
        let token = keys.sign(&keys.claims_for("x", &Role::Viewer, 60)).unwrap();
        assert!(keys.verify(&token).is_ok());
    }

    #[test]
    fn pem_keys_refuse_to_start_without_the_signing_keys_public_key_or_with_a_mismatched_one() {
        let dir = key_files(&[
            ("2026-10.pub.pem", ED_2026_10_PUB),
            ("2026-11.pem", ED_2026_11),
            ("2026-11.pub.pem", ED_2026_10_PUB),
            ("rsa-1.pub.pem", RSA_1_PUB),
        ]);
        let missing = load_pem(&pem_settings(dir.path(), "2026-11.pem", &["2026-10.pub.pem"])).unwrap_err();
        assert!(missing.to_string().contains("JWT_PUBLIC_KEY_FILES"), "{missing}");
        let mismatched = load_pem(&pem_settings(dir.path(), "2026-11.pem", &["2026-11.pub.pem"])).unwrap_err();
        assert!(mismatched.to_string().contains("do not match"), "{mismatched}");
        let mixed = load_pem(&pem_settings(dir.path(), "2026-11.pem", &["rsa-1.pub.pem"])).unwrap_err();
        assert!(mixed.to_string().contains("rsa-1.pub.pem"), "{mixed}");
    }

    fn settings(database: &Path, auth: AuthSettings) -> Settings {
        Settings {
            bind_address: "127.0.0.1:0".parse().unwrap(),
            database_url: Some(DatabaseUrl::Sqlite(format!("sqlite://{}", database.display()).into())),
            database_max_connections: 1,
            database_timeout_seconds: 1,
            log_format: crate::config::LogFormat::Pretty,
            max_body_bytes: 1024,
            import_max_bytes: 4096,
            cors_origins: Vec::new(),
            auth,
            server: crate::config::ServerSettings::default(),
            webhooks: crate::config::WebhookSettings::default(),
        }
    }

    #[test]
    fn load_generates_a_secret_beside_the_sqlite_file_once_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let mut auth = AuthSettings::with_secret("unused");
        auth.jwt_secret = None;
        let settings = settings(&dir.path().join("cress.db"), auth);
        let path = generated_secret_path(&settings);
        assert_eq!(path, dir.path().join("cress.db.jwt-secret"));
        let first = Keys::load(&settings).unwrap();
        let token = first.sign(&first.claims_for("x", &Role::Viewer, 60)).unwrap();
        let second = Keys::load(&settings).unwrap();
        assert!(second.verify(&token).is_ok(), "the second start uses the same secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{mode:o}");
        }
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the secret file is left: {leftovers:?}");
    }

    #[test]
    fn load_refuses_a_short_jwt_secret_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let settings = settings(&dir.path().join("cress.db"), AuthSettings::with_secret("too short"));
        let error = Keys::load(&settings).unwrap_err().to_string();
        assert!(error.contains("JWT_SECRET") && error.contains("32"), "{error}");
        assert!(!error.contains("too short"), "the secret is not echoed: {error}");
    }

    #[test]
    fn generated_secret_path_is_under_data_on_postgres() {
        let mut settings = settings(Path::new("x.db"), AuthSettings::with_secret("unused"));
        settings.database_url = Some(DatabaseUrl::Postgres("postgres://u@h/db".into()));
        assert_eq!(
            generated_secret_path(&settings),
            PathBuf::from("data").join("jwt-secret")
        );
        settings.database_url = None;
        assert_eq!(
            generated_secret_path(&settings),
            PathBuf::from("data").join("cress.db.jwt-secret")
        );
    }
}
