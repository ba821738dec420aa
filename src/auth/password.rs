//! Passwords (argon2id) and the random secrets of machine clients and refresh tokens.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::config::AuthSettings;

/// Shortest password accepted for a person.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password accepted: enough for any passphrase, short enough to hash quickly.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// Password hashes computed at once, at most, per core: each takes `PASSWORD_HASH_MEMORY_KIB`
/// (19 MiB) while it runs, so memory stays bounded however many logins arrive together; the
/// others wait their turn. They run on as many threads of their own, always the same: the
/// memory allocator keeps what a thread freed for that thread's next hash, so a few fixed
/// threads hold a few hashes' worth of memory, where the many threads of a blocking pool would
/// each keep one.
const HASHES_PER_CORE: usize = 2;

/// How long a login waits for its turn to check its password before it is answered 429.
const LOGIN_WAIT: Duration = Duration::from_secs(10);

/// Hashes and checks passwords with argon2id at the configured cost, a few at a time, off the
/// async workers. Holds a hash of a random password, checked when the e-mail is unknown, so that
/// an unknown e-mail and a wrong password take about the same time.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    dummy_hash: String,
    turns: Arc<Semaphore>,
    threads: Arc<HashThreads>,
}

/// A job for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// The threads that compute password hashes, fed through a channel; they end when the last
/// `Passwords` that can feed them is dropped.
struct HashThreads {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl HashThreads {
    fn start(count: usize) -> anyhow::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..count {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .context("cannot start a password hashing thread")?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a hashing thread and gives its result.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads have stopped"))?;
        result.await.context("a password hashing thread stopped")
    }
}

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("too many passwords are being checked at once")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .finish_non_exhaustive()
    }
}

impl Passwords {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.password_hash_memory_kib,
            settings.password_hash_iterations,
            1,
            None,
        )
        .map_err(|e| anyhow::anyhow!("PASSWORD_HASH_MEMORY_KIB or PASSWORD_HASH_ITERATIONS is out of range: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let mut passwords = Self {
            params,
            dummy_hash: String::new(),
            turns: Arc::new(Semaphore::new(HASHES_PER_CORE * cores)),
            threads: Arc::new(HashThreads::start(HASHES_PER_CORE * cores)?),
        };
        passwords.dummy_hash = passwords.hash(&SecretString::from(random_token()))?;
        Ok(passwords)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of a password, computed in its turn off the async workers (waiting as long
    /// as it takes: accounts are made by administrators and commands, few at a time).
    pub async fn hash_in_turn(&self, password: SecretString) -> anyhow::Result<String> {
        let turn = Arc::clone(&self.turns)
            .acquire_owned()
            .await
            .context("the password hashing turns are closed")?;
        let passwords = self.clone();
        let hashed = self.threads.run(move || passwords.hash(&password)).await;
        drop(turn);
        hashed?
    }

    /// Whether `password` matches `hash` (see [`Self::verify`]), checked in its turn off the
    /// async workers; [`CheckError::Busy`] when the turn does not come within 10 seconds.
    pub async fn verify_in_turn(&self, password: SecretString, hash: Option<String>) -> Result<bool, CheckError> {
        let turn = match tokio::time::timeout(LOGIN_WAIT, Arc::clone(&self.turns).acquire_owned()).await {
            Ok(Ok(turn)) => turn,
            Ok(Err(closed)) => return Err(CheckError::Failed(closed.into())),
            Err(_) => return Err(CheckError::Busy),
        };
        let passwords = self.clone();
        let checked = self
            .threads
            .run(move || passwords.verify(&password, hash.as_deref()))
            .await;
        drop(turn);
        Ok(checked?)
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of a password, with a fresh random salt.
    pub fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        let hash = self
            .argon2()
            .hash_password(password.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot hash the password")?;
        Ok(hash.to_string())
    }

    /// Whether `password` matches `hash` (its own parameters apply). `None`: the account does
    /// not exist, and the dummy hash is checked instead so that the answer takes as long.
    pub fn verify(&self, password: &SecretString, hash: Option<&str>) -> bool {
        let matches = self
            .argon2()
            .verify_password(password.expose_secret().as_bytes(), hash.unwrap_or(&self.dummy_hash))
            .is_ok();
        matches && hash.is_some()
    }
}

/// `N` bytes from the operating system's generator (through rand's thread generator, a CSPRNG
/// seeded from it).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes[..]);
    bytes
}

/// A random 256-bit secret as 43 URL-safe characters: client secrets, refresh tokens.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// The stored form of a high-entropy secret (client secret, refresh token): SHA-256, hex.
/// A slow hash protects guessable passwords; a 256-bit random secret cannot be guessed, and a
/// fast hash lets it be looked up by its hash.
pub fn secret_digest(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passwords() -> Passwords {
        Passwords::new(&AuthSettings::with_secret("unused")).unwrap()
    }

    #[test]
    fn hash_then_verify_accepts_the_password_and_refuses_others() {
        let passwords = passwords();
        let hash = passwords.hash(&SecretString::from("correct horse battery")).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(passwords.verify(&SecretString::from("correct horse battery"), Some(&hash)));
        assert!(!passwords.verify(&SecretString::from("correct horse batterz"), Some(&hash)));
    }

    #[test]
    fn verify_refuses_an_unknown_account_even_with_the_dummy_password() {
        let passwords = passwords();
        assert!(!passwords.verify(&SecretString::from("anything at all"), None));
    }

    #[test]
    fn random_tokens_differ_and_digests_are_stable() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(secret_digest("abc"), secret_digest("abc"));
        assert_eq!(secret_digest("abc").len(), 64);
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
