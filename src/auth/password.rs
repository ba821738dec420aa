//! Passwords (argon2id) and the random secrets of machine clients and refresh tokens.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
/// others wait their turn. They run on as many threads of their own, each keeping its argon2
/// working memory from one hash to the next: allocating 19 MiB afresh for every hash fragments
/// the allocator's heap, which then grows by megabytes per login.
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

/// The working memory of one argon2 hash (PASSWORD_HASH_MEMORY_KIB blocks of 1 KiB).
type Memory = Vec<Block>;

/// A job for the hashing threads, given the thread's working memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

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
                    let mut memory = Memory::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut memory),
                            Err(_) => return,
                        }
                    }
                })
                .context("cannot start a password hashing thread")?;
        }
        Ok(Self { jobs })
    }

    /// Runs `work` on a hashing thread and gives its result.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&mut Memory) -> T + Send + 'static) -> anyhow::Result<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move |memory: &mut Memory| {
                let _ = done.send(span.in_scope(|| work(memory)));
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
        let hashed = self
            .threads
            .run(move |memory| passwords.hash_in(&password, memory))
            .await;
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
            .run(move |memory| passwords.verify_in(&password, hash.as_deref(), memory))
            .await;
        drop(turn);
        Ok(checked?)
    }

    /// The PHC string (`$argon2id$v=19$m=…`) of a password, with a fresh random salt.
    pub fn hash(&self, password: &SecretString) -> anyhow::Result<String> {
        self.hash_in(password, &mut Memory::new())
    }

    /// Whether `password` matches `hash` (its own parameters apply). `None`: the account does
    /// not exist, and the dummy hash is checked instead so that the answer takes as long.
    pub fn verify(&self, password: &SecretString, hash: Option<&str>) -> bool {
        self.verify_in(password, hash, &mut Memory::new())
    }

    /// [`Passwords::hash`] in `memory` (grown to the configured cost if it is smaller).
    fn hash_in(&self, password: &SecretString, memory: &mut Memory) -> anyhow::Result<String> {
        let salt = random_bytes::<{ argon2::RECOMMENDED_SALT_LEN }>();
        let mut output = [0u8; Params::DEFAULT_OUTPUT_LEN];
        let blocks = sized(memory, self.params.block_count());
        self.argon2()
            .hash_password_into_with_memory(password.expose_secret().as_bytes(), &salt, &mut output, blocks)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot hash the password")?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).map_err(|e| anyhow::anyhow!("{e}"))?,
            salt: Some(Salt::new(&salt).map_err(|e| anyhow::anyhow!("{e}"))?),
            hash: Some(Output::new(&output).map_err(|e| anyhow::anyhow!("{e}"))?),
        };
        Ok(phc.to_string())
    }

    /// [`Passwords::verify`] in `memory`, grown once if a stored hash costs more than it holds.
    fn verify_in(&self, password: &SecretString, hash: Option<&str>, memory: &mut Memory) -> bool {
        let matches = PasswordHash::new(hash.unwrap_or(&self.dummy_hash))
            .is_ok_and(|stored| matches_in(password.expose_secret().as_bytes(), &stored, memory));
        matches && hash.is_some()
    }
}

/// Whether `password` hashes to `stored` with the algorithm, version and parameters that
/// `stored` names (so that hashes made at another cost still verify).
fn matches_in(password: &[u8], stored: &PasswordHash, memory: &mut Memory) -> bool {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(stored.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = stored.version.map_or(Ok(Version::V0x13), Version::try_from) else {
        return false;
    };
    let Ok(params) = Params::try_from(stored) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    let blocks = sized(memory, params.block_count());
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut output, blocks)
        .is_ok()
        // Output's equality is constant-time.
        && Output::new(&output).is_ok_and(|computed| computed == *expected)
}

/// The first `blocks` blocks of `memory`, grown to that many if it is shorter. Their content
/// does not matter: argon2's first pass writes every block before reading it.
fn sized(memory: &mut Memory, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    &mut memory[..blocks]
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
    fn hashes_made_in_a_reused_memory_are_standard_argon2id_and_standard_ones_verify() {
        use argon2::{PasswordHasher, PasswordVerifier};
        // Two passes, as in production: the second one mixes into the blocks of the first.
        let mut settings = AuthSettings::with_secret("unused");
        settings.password_hash_memory_kib = 32;
        settings.password_hash_iterations = 2;
        let passwords = Passwords::new(&settings).unwrap();
        let reference = passwords.argon2();
        let mut memory = Memory::new();
        // The same memory, dirty from the previous hash, for each of these.
        for n in 0..3 {
            let password = SecretString::from(format!("passphrase number {n}"));
            let ours = passwords.hash_in(&password, &mut memory).unwrap();
            let parsed = PasswordHash::new(&ours).unwrap();
            assert!(
                reference
                    .verify_password(password.expose_secret().as_bytes(), &parsed)
                    .is_ok(),
                "the reference implementation accepts {ours}"
            );
            let theirs = reference
                .hash_password(password.expose_secret().as_bytes())
                .unwrap()
                .to_string();
            assert!(
                passwords.verify_in(&password, Some(&theirs), &mut memory),
                "we accept {theirs}"
            );
            assert!(!passwords.verify_in(&SecretString::from("another one"), Some(&ours), &mut memory));
        }
        // A hash made at a higher cost verifies too (the memory grows for it).
        let costlier = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(64, 2, 1, None).unwrap(),
        )
        .hash_password(b"costlier passphrase")
        .unwrap()
        .to_string();
        assert!(passwords.verify_in(&SecretString::from("costlier passphrase"), Some(&costlier), &mut memory));
        assert_eq!(memory.len(), 64, "grown to the costlier hash's memory");
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
