//! Failed logins, counted per account and per client IP address over a sliding window, in the
//! memory of this instance: behind a load balancer each instance counts its own (so the limits
//! multiply by the number of instances), and a restart forgets them.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AuthSettings;

/// Beyond this many tracked keys, expired entries are swept before adding one, so that a flood
/// of distinct names cannot grow the maps without bound.
const SWEEP_ABOVE: usize = 10_000;

/// The failed-login counters of this instance.
#[derive(Debug)]
pub struct LoginLimiter {
    window: Duration,
    per_account: u32,
    per_ip: u32,
    accounts: Mutex<HashMap<String, VecDeque<Instant>>>,
    addresses: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginLimiter {
    pub fn new(settings: &AuthSettings) -> Self {
        Self {
            window: Duration::from_secs(settings.login_failure_window_seconds),
            per_account: settings.login_max_failures_per_account,
            per_ip: settings.login_max_failures_per_ip,
            accounts: Mutex::default(),
            addresses: Mutex::default(),
        }
    }

    /// `Err(seconds to wait)` when the account or the address has used up its failures.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let account_wait = wait(&self.accounts, &account.to_owned(), self.per_account, self.window, now);
        let ip_wait = ip.and_then(|ip| wait(&self.addresses, &ip, self.per_ip, self.window, now));
        match account_wait.into_iter().chain(ip_wait).max() {
            Some(wait) => Err(wait.as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Counts one failed login.
    pub fn failed(&self, account: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        record(&self.accounts, account.to_owned(), self.window, now);
        if let Some(ip) = ip {
            record(&self.addresses, ip, self.window, now);
        }
    }

    /// A successful login clears the account's failures (not the address's: one good account
    /// must not let an address go on guessing others).
    pub fn succeeded(&self, account: &str) {
        if let Ok(mut accounts) = self.accounts.lock() {
            accounts.remove(account);
        }
    }
}

/// How long until the oldest failure within the window leaves it, when `limit` are used up.
fn wait<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, VecDeque<Instant>>>,
    key: &K,
    limit: u32,
    window: Duration,
    now: Instant,
) -> Option<Duration> {
    let mut map = map.lock().ok()?;
    let failures = map.get_mut(key)?;
    while failures.front().is_some_and(|at| now.duration_since(*at) >= window) {
        failures.pop_front();
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if failures.len() < limit {
        return None;
    }
    let oldest = failures.get(failures.len() - limit)?;
    Some(window.saturating_sub(now.duration_since(*oldest)))
}

fn record<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, VecDeque<Instant>>>, key: K, window: Duration, now: Instant) {
    let Ok(mut map) = map.lock() else { return };
    if map.len() > SWEEP_ABOVE {
        map.retain(|_, failures| failures.back().is_some_and(|at| now.duration_since(*at) < window));
    }
    map.entry(key).or_default().push_back(now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> LoginLimiter {
        let mut settings = AuthSettings::with_secret("unused");
        settings.login_max_failures_per_account = 3;
        settings.login_max_failures_per_ip = 5;
        LoginLimiter::new(&settings)
    }

    #[test]
    fn check_refuses_an_account_after_its_failures_and_says_how_long_to_wait() {
        let limiter = limiter();
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        for _ in 0..3 {
            assert!(limiter.check("a@example.org", ip).is_ok());
            limiter.failed("a@example.org", ip);
        }
        let wait = limiter.check("a@example.org", ip).unwrap_err();
        assert!((1..=900).contains(&wait), "{wait}");
        assert!(
            limiter.check("b@example.org", ip).is_ok(),
            "another account from the same address"
        );
        limiter.succeeded("a@example.org");
        assert!(limiter.check("a@example.org", ip).is_ok());
    }

    #[test]
    fn check_refuses_an_address_after_its_failures_whatever_the_account() {
        let limiter = limiter();
        let ip: Option<IpAddr> = "192.0.2.2".parse().ok();
        for n in 0..5 {
            limiter.failed(&format!("user{n}@example.org"), ip);
        }
        assert!(limiter.check("fresh@example.org", ip).is_err());
        assert!(limiter.check("fresh@example.org", "192.0.2.3".parse().ok()).is_ok());
    }
}
