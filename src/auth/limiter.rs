//! Failed logins, counted in the database (so every instance shares the counts, and a restart
//! keeps them) on three counters per attempt:
//!
//! - the account from this client address: `LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP` (5), the
//!   limit a guesser meets; it cannot lock the owner out at another address;
//! - the account from anywhere: `LOGIN_MAX_FAILURES_PER_ACCOUNT` (100), a much higher ceiling that
//!   only an attack spread over many addresses reaches;
//! - the address whatever the account: `LOGIN_MAX_FAILURES_PER_IP` (20), against one address
//!   trying many accounts.
//!
//! An IPv6 client counts by its /64 network, what one subscriber gets.
//!
//! Each within `LOGIN_FAILURE_WINDOW_SECONDS` (15 minutes). An attempt reserves one failure on
//! each counter before its password is checked (refused with 429 when a counter is used up, and
//! then counted nowhere), and gives it back when the password was right: so parallel guesses
//! count exactly as sequential ones do, however many arrive at once. A right password clears the
//! counter of its account from its address.

use std::net::IpAddr;

use chrono::TimeDelta;
use sha2::{Digest, Sha256};

use crate::config::AuthSettings;
use crate::store::logins::{Counter, Reservation};
use crate::store::{Store, StoreError};

/// Counters whose window ended are deleted, this many at most per failed login.
const PURGE_BATCH: i64 = 100;

/// The limits of failed logins.
#[derive(Debug, Clone)]
pub struct LoginLimiter {
    window: TimeDelta,
    per_account_and_ip: u32,
    per_account: u32,
    per_ip: u32,
}

/// The failure reserved by an attempt, to give back if its password is right.
#[derive(Debug)]
#[must_use = "a reserved failure is given back with `succeeded`, or kept by dropping it"]
pub struct Attempt {
    counters: Vec<Counter>,
}

impl LoginLimiter {
    pub fn new(settings: &AuthSettings) -> Self {
        Self {
            window: TimeDelta::seconds(i64::try_from(settings.login_failure_window_seconds).unwrap_or(i64::MAX / 4)),
            per_account_and_ip: settings.login_max_failures_per_account_and_ip,
            per_account: settings.login_max_failures_per_account,
            per_ip: settings.login_max_failures_per_ip,
        }
    }

    /// Reserves one failure for an attempt on `account` from `ip`: `Ok(Err(seconds to wait))`
    /// when a counter has used up its failures.
    pub async fn attempt(
        &self,
        store: &Store,
        account: &str,
        ip: Option<IpAddr>,
    ) -> Result<Result<Attempt, u64>, StoreError> {
        let counters = self.counters(account, ip);
        match store.reserve_login_failure(&counters, self.window).await? {
            Reservation::Reserved => Ok(Ok(Attempt { counters })),
            Reservation::Refused { retry_after } => {
                Ok(Err(u64::try_from(retry_after.num_seconds()).unwrap_or(1).max(1)))
            }
        }
    }

    /// The password was right: the reserved failure is given back, and the account's failures
    /// from this address are cleared.
    pub async fn succeeded(&self, store: &Store, attempt: Attempt) -> Result<(), StoreError> {
        let Some(pair) = attempt.counters.first() else {
            return Ok(());
        };
        store.release_login_failure(&attempt.counters, pair).await
    }

    /// The password was wrong: the reserved failure stays counted. Old counters are swept.
    pub async fn failed(&self, store: &Store, attempt: Attempt) {
        drop(attempt);
        if let Err(error) = store
            .purge_login_limits(crate::store::now() - self.window, PURGE_BATCH)
            .await
        {
            tracing::warn!(error = %error, "expired login counters could not be deleted");
        }
    }

    /// The counters of an attempt, the pair first (see `succeeded`). Without a known address,
    /// the attempt counts on the account alone, at the pair's limit.
    fn counters(&self, account: &str, ip: Option<IpAddr>) -> Vec<Counter> {
        let key = |name: &str| {
            Sha256::digest(name.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        match ip.map(address_block) {
            Some(ip) => vec![
                Counter {
                    key: key(&format!("account+address\n{account}\n{ip}")),
                    limit: self.per_account_and_ip,
                },
                Counter {
                    key: key(&format!("account\n{account}")),
                    limit: self.per_account,
                },
                Counter {
                    key: key(&format!("address\n{ip}")),
                    limit: self.per_ip,
                },
            ],
            None => vec![Counter {
                key: key(&format!("account+address\n{account}\n")),
                limit: self.per_account_and_ip,
            }],
        }
    }
}

/// What counts as one client address: an IPv4 address, or the /64 network of an IPv6 one (what
/// one subscriber gets, so that rotating addresses within it gains nothing).
fn address_block(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_the_pair_first_then_the_account_then_the_address_and_name_nothing_in_clear() {
        let limiter = LoginLimiter::new(&AuthSettings::with_secret("unused"));
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        let counters = limiter.counters("claire@example.org", ip);
        let limits: Vec<u32> = counters.iter().map(|c| c.limit).collect();
        assert_eq!(limits, [5, 100, 20]);
        assert!(counters.iter().all(|c| c.key.len() == 64 && !c.key.contains('@')));
        let elsewhere = limiter.counters("claire@example.org", "192.0.2.2".parse().ok());
        assert_ne!(counters[0], elsewhere[0], "another address: another pair");
        assert_eq!(counters[1], elsewhere[1], "the same account");
        assert_ne!(counters[2], elsewhere[2], "another address");
        let other_account = limiter.counters("paul@example.org", ip);
        assert_eq!(counters[2], other_account[2], "the same address");
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_bit_network() {
        let limiter = LoginLimiter::new(&AuthSettings::with_secret("unused"));
        let counters = |ip: &str| limiter.counters("claire@example.org", ip.parse().ok());
        assert_eq!(
            counters("2001:db8:1:2::1"),
            counters("2001:db8:1:2:ffff::9"),
            "the same /64"
        );
        assert_ne!(
            counters("2001:db8:1:2::1")[2],
            counters("2001:db8:1:3::1")[2],
            "another /64"
        );
        assert_eq!(counters("::ffff:192.0.2.1"), counters("192.0.2.1"), "IPv4-mapped");
    }
}
