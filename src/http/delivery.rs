//! Webhook deliveries: the worker that reads the change log from each subscription's position
//! and sends each change, signed as Standard Webhooks (standardwebhooks.com) specify, to the
//! subscription's URL; the guard that keeps deliveries off loopback, private, link-local and
//! metadata addresses; the retry schedule.
//!
//! At least once, in order: a subscription's changes are sent one at a time, oldest first; a
//! 2xx answer moves its position past the change, anything else stops there and tries the same
//! change again later (doubling waits with jitter, up to an hour), until it has failed for
//! `WEBHOOK_RETRY_FOR_SECONDS` and the subscription is disabled. A worker holds a lease on the
//! subscription it serves (`store::webhooks`), so that several instances on one PostgreSQL
//! database never send one subscription's changes twice at once.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;
use uuid::Uuid;

use crate::auth::Caller;
use crate::auth::policy;
use crate::auth::tokens::Principal;
use crate::config::WebhookSettings;
use crate::core::Role;
use crate::domain::message::{Message, msg};
use crate::http::changes;
use crate::http::metrics::Metrics;
use crate::store::changes::{ChangeAction, FeedQuery};
use crate::store::webhooks::{Delivery, Leased, Owner, Webhook};
use crate::store::{Store, now};

/// How long one attempt may take, from connecting to the end of the answer's headers.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a receiver's answer is kept with the attempt.
pub const ANSWER_KEPT: usize = 1024;
/// The longest wait between two attempts at one change.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);
/// How long a worker's lease on a subscription lasts; every delivery extends it.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// Changes read from the log at once for one subscription.
const BATCH: i64 = 50;
/// The prefix of a signing secret, as Standard Webhooks write it.
pub const SECRET_PREFIX: &str = "whsec_";

/// Why a URL may not receive deliveries (in English as an error: a delivery's stored error text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnsafeUrl(pub Message);

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes[..]);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` entry of one secret: `v1,` and the base64 of
/// HMAC-SHA256(the secret's bytes, `{id}.{timestamp}.{body}`).
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD.decode(key).unwrap_or_else(|_| key.as_bytes().to_vec());
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Why an address may not receive deliveries ("a loopback address"), or `None` for a public address.
pub fn forbidden(ip: IpAddr) -> Option<Message> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some(msg!("delivery-address-loopback"))
            } else if v6.is_unspecified() || v6.is_multicast() {
                Some(msg!("delivery-address-not-unicast"))
            } else if first & 0xfe00 == 0xfc00 {
                Some(msg!("delivery-address-unique-local"))
            } else if first & 0xffc0 == 0xfe80 {
                Some(msg!("delivery-address-link-local"))
            } else if first == 0x2001 && v6.segments()[1] == 0x0db8 {
                Some(msg!("delivery-address-documentation"))
            } else if v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = v6.segments()[6].to_be_bytes();
                let [c, d] = v6.segments()[7].to_be_bytes();
                forbidden_v4(Ipv4Addr::new(a, b, c, d))
            } else {
                None
            }
        }
    }
}

fn forbidden_v4(v4: Ipv4Addr) -> Option<Message> {
    let [a, b, ..] = v4.octets();
    if v4.is_loopback() {
        Some(msg!("delivery-address-loopback"))
    } else if v4.is_private() {
        Some(msg!("delivery-address-private"))
    } else if v4.is_link_local() {
        Some(msg!("delivery-address-link-local-metadata"))
    } else if a == 100 && (64..128).contains(&b) {
        Some(msg!("delivery-address-shared"))
    } else if v4.is_unspecified() || a == 0 || v4.is_broadcast() || v4.is_multicast() || a >= 240 {
        Some(msg!("delivery-address-not-unicast-public"))
    } else if v4.is_documentation()
        || (a == 198 && (18..20).contains(&b))
        || (a == 192 && b == 0 && v4.octets()[2] == 0)
    {
        Some(msg!("delivery-address-reserved"))
    } else {
        None
    }
}

/// The first refusal among `addresses`, naming the address.
fn refusal(host: &str, addresses: &[IpAddr]) -> Option<UnsafeUrl> {
    addresses.iter().find_map(|ip| {
        forbidden(*ip).map(|why| {
            let literal = host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok()
                == Some(*ip);
            let ip = ip.to_string();
            UnsafeUrl(if literal {
                msg!("delivery-refused-address", ip = ip, why = why)
            } else {
                msg!("delivery-refused-host", host = host, ip = ip, why = why)
            })
        })
    })
}

/// The resolver of deliveries: a host's addresses, refused when one of them is not public and
/// the host is not allowed. The connection then goes to the addresses checked, so that a name
/// cannot resolve to a public address for the check and a private one for the connection.
struct Guard {
    settings: Arc<WebhookSettings>,
}

impl reqwest::dns::Resolve for Guard {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let settings = self.settings.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !settings.allows_host(&host) {
                let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
                if let Some(refused) = refusal(&host, &ips) {
                    return Err(refused.into());
                }
            }
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// What one attempt gave.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status: Option<u16>,
    pub duration: Duration,
    pub error: Option<String>,
    pub answer: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// Why it failed, in a sentence (`None` when it succeeded).
    pub fn failure(&self) -> Option<String> {
        match (self.status, &self.error) {
            (_, Some(error)) => Some(error.clone()),
            (Some(status), None) if !(200..300).contains(&status) => Some(format!("the receiver answered {status}")),
            _ => None,
        }
    }
}

/// Sends deliveries: the HTTP client (10-second attempts, no redirects, the guarded resolver)
/// and the settings.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    settings: Arc<WebhookSettings>,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("settings", &self.settings).finish()
    }
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> anyhow::Result<Self> {
        // reqwest's rustls takes the process's provider: aws-lc-rs, as the token keys use.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let settings = Arc::new(settings.clone());
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(Guard {
                settings: settings.clone(),
            }))
            .user_agent(concat!("cress-api-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, settings })
    }

    /// The URL `raw`, if deliveries may go there: `http` or `https`, a host, no user name or
    /// password in it, and every address the host has now public, unless the host is allowed.
    pub async fn check_url(&self, raw: &str) -> Result<Url, UnsafeUrl> {
        let url = Url::parse(raw).map_err(|e| UnsafeUrl(msg!("delivery-url-not-absolute", reason = e.to_string())))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UnsafeUrl(msg!("delivery-url-scheme", scheme = url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UnsafeUrl(msg!("delivery-url-credentials")));
        }
        let host = url
            .host_str()
            .ok_or_else(|| UnsafeUrl(msg!("delivery-url-no-host")))?
            .to_owned();
        if self.settings.allows_host(&host) {
            return Ok(url);
        }
        let addresses = self.addresses(&url).await?;
        match refusal(&host, &addresses) {
            Some(refused) => Err(refused),
            None => Ok(url),
        }
    }

    /// The addresses the host of `url` names or resolves to.
    async fn addresses(&self, url: &Url) -> Result<Vec<IpAddr>, UnsafeUrl> {
        match url.host() {
            Some(url::Host::Ipv4(ip)) => Ok(vec![IpAddr::V4(ip)]),
            Some(url::Host::Ipv6(ip)) => Ok(vec![IpAddr::V6(ip)]),
            Some(url::Host::Domain(name)) => {
                // A name that does not resolve (yet) has no address to refuse: accepted now,
                // and checked again at every delivery, which fails until it resolves.
                let port = url.port_or_known_default().unwrap_or(443);
                match tokio::time::timeout(ATTEMPT_TIMEOUT, tokio::net::lookup_host((name, port))).await {
                    Ok(Ok(found)) => Ok(found.map(|a| a.ip()).collect()),
                    _ => Ok(Vec::new()),
                }
            }
            None => Err(UnsafeUrl(msg!("delivery-url-no-host"))),
        }
    }

    /// One signed POST of `body` to `url`, as message `message_id`, signed with each of `secrets`.
    pub async fn send(&self, url: &str, message_id: &str, body: Vec<u8>, secrets: &[&str]) -> Attempt {
        let started = Instant::now();
        let failed = |error: String| Attempt {
            status: None,
            duration: started.elapsed(),
            error: Some(error),
            answer: None,
        };
        // Addresses written in the URL do not go through the resolver: checked here.
        let url = match Url::parse(url) {
            Ok(url) => url,
            Err(e) => return failed(format!("the URL is not valid: {e}")),
        };
        let host = url.host_str().unwrap_or_default().to_owned();
        if !self.settings.allows_host(&host) {
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(refused) = literal.and_then(|ip| refusal(&host, &[ip])) {
                return failed(format!("refused: {refused}"));
            }
        }
        let timestamp = Utc::now().timestamp();
        let signatures: Vec<String> = secrets
            .iter()
            .map(|secret| sign(secret, message_id, timestamp, &body))
            .collect();
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return failed(describe(&error)),
        };
        let status = response.status().as_u16();
        let mut kept = Vec::new();
        while kept.len() < ANSWER_KEPT {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk[..chunk.len().min(ANSWER_KEPT - kept.len())]),
                _ => break,
            }
        }
        Attempt {
            status: Some(status),
            duration: started.elapsed(),
            error: None,
            answer: (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned()),
        }
    }
}

/// A client error in a sentence, with its causes (the guard's refusal among them).
fn describe(error: &reqwest::Error) -> String {
    let mut text = if error.is_timeout() {
        format!("no answer within {} seconds", ATTEMPT_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// How long to wait before attempt `attempts + 1` at a change that failed `attempts` times:
/// `base` doubled for each earlier failure, at most an hour, then a random part of it (between
/// half and all of it) so that receivers coming back are not hit by every retry at once.
pub fn retry_wait(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
    let wait = base.saturating_mul(1 << doublings).min(MAX_RETRY_WAIT);
    let half = wait / 2;
    let jitter = rand::random_range(0..=u64::try_from(half.as_millis()).unwrap_or(u64::MAX));
    half + Duration::from_millis(jitter)
}

/// The delivery worker of one server.
pub struct Worker {
    store: Store,
    sender: Sender,
    settings: WebhookSettings,
    metrics: Arc<Metrics>,
    /// Who holds the leases this worker takes.
    holder: String,
}

impl Worker {
    pub fn new(store: Store, sender: Sender, settings: &WebhookSettings, metrics: Arc<Metrics>) -> Self {
        Self {
            store,
            sender,
            settings: settings.clone(),
            metrics,
            holder: Uuid::now_v7().to_string(),
        }
    }

    /// Looks for due subscriptions every `WEBHOOK_POLL_MILLISECONDS` and serves each in turn,
    /// until the store closes (each subscription served within one `Store::background_step`:
    /// its lease is given back before the pools close).
    pub async fn run(self) {
        let period = Duration::from_millis(self.settings.webhook_poll_milliseconds);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                let Some(_step) = self.store.background_step().await else {
                    return;
                };
                let at = now();
                match self.store.lease_due_webhook(&self.holder, at, at + LEASE).await {
                    Ok(Some(leased)) => self.serve(leased).await,
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(error = %error, "webhooks: cannot look for due subscriptions");
                        break;
                    }
                }
            }
            self.metrics.webhook_lag(self.store.webhook_lag().await.ok());
        }
    }

    /// Delivers the changes of one leased subscription from its position, until it is up to
    /// date, an attempt fails, or the lease is lost.
    async fn serve(&self, leased: Leased) {
        let Leased { webhook, secrets } = leased;
        let id = webhook.id;
        if let Err(reason) = self.owner_may_still_read(&webhook.owner).await {
            tracing::warn!(webhook.id = %id, reason, "webhooks: subscription disabled");
            let _ = self.store.disable_webhook(id, &reason).await;
            return;
        }
        let (caller, query) = match feed_of(&webhook) {
            Ok(found) => found,
            Err(reason) => {
                let _ = self.store.disable_webhook(id, &reason).await;
                return;
            }
        };
        let Ok(scope) = policy::list_scope(&caller, crate::core::Resource::Organisation) else {
            let _ = self
                .store
                .disable_webhook(id, "its owner may not read the change feed")
                .await;
            return;
        };
        let head = match self.store.head_position().await {
            Ok(head) => head,
            Err(_) => return self.release(id).await,
        };
        let mut position = webhook.position;
        loop {
            let batch = FeedQuery {
                after: position,
                until: Some(head),
                ..query.clone()
            };
            let rows = match self.store.list_changes(&batch).await {
                Ok(rows) => rows,
                Err(_) => return self.release(id).await,
            };
            let complete = i64::try_from(rows.len()).unwrap_or(i64::MAX) < BATCH;
            for change in &rows {
                let item = changes::item(change, &scope);
                let message_id = format!("msg_{}", item.position);
                let body = serde_json::to_vec(&item).unwrap_or_default();
                let at = now();
                let attempt = self
                    .sender
                    .send(&webhook.fields.url, &message_id, body, &secrets.signing_at(at))
                    .await;
                self.metrics.webhook_attempt(attempt.succeeded());
                let _ = self
                    .store
                    .record_delivery(id, &delivery(&message_id, Some(change.seq), at, &attempt))
                    .await;
                if !attempt.succeeded() {
                    return self.failed(&webhook, at, &attempt).await;
                }
                position = change.seq;
                match self
                    .store
                    .advance_webhook(id, &self.holder, position, now() + LEASE)
                    .await
                {
                    Ok(true) => {}
                    _ => return, // the lease is lost (redelivery asked, another worker): stop here
                }
                if self.store.closing() {
                    // The server stops: the next server goes on from this position.
                    return self.release(id).await;
                }
            }
            if complete {
                if position < head {
                    let _ = self.store.advance_webhook(id, &self.holder, head, now() + LEASE).await;
                }
                return self.release(id).await;
            }
        }
    }

    async fn release(&self, id: Uuid) {
        let _ = self.store.release_webhook(id, &self.holder).await;
    }

    /// Schedules the next attempt at the change that failed, or disables the subscription once
    /// it has failed for `WEBHOOK_RETRY_FOR_SECONDS`.
    async fn failed(&self, webhook: &Webhook, at: DateTime<Utc>, attempt: &Attempt) {
        let attempts = webhook.attempts.saturating_add(1);
        let since = webhook.failing_since.unwrap_or(at);
        let budget = TimeDelta::seconds(i64::try_from(self.settings.webhook_retry_for_seconds).unwrap_or(i64::MAX));
        let base = Duration::from_millis(self.settings.webhook_retry_base_milliseconds);
        let wait = TimeDelta::from_std(retry_wait(base, attempts)).unwrap_or(TimeDelta::hours(1));
        let why = attempt.failure().unwrap_or_default();
        let disable = (at - since >= budget).then(|| {
            format!(
                "deliveries failed for {} seconds, {attempts} attempts, since {} (last: {why}); switch it on again \
                 with PATCH {{\"active\": true}} once the receiver answers 2xx",
                (at - since).num_seconds(),
                since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        });
        if let Some(reason) = &disable {
            tracing::warn!(webhook.id = %webhook.id, reason, "webhooks: subscription disabled");
        }
        let _ = self
            .store
            .webhook_failed(webhook.id, &self.holder, attempts, since, at + wait, disable.as_deref())
            .await;
    }

    /// Whether the account that created the subscription still exists, is active and has the
    /// role the subscription keeps (`Err` with the reason to disable it otherwise). Tokens made
    /// by the command line have no account to check.
    async fn owner_may_still_read(&self, owner: &Owner) -> Result<(), String> {
        let current = if let Ok(user) = Uuid::parse_str(&owner.subject) {
            match self.store.get_user(user).await {
                Ok(user) => Some((
                    user.fields.active,
                    user.fields.role,
                    user.fields.region_code,
                    user.fields.organisation_id,
                )),
                Err(crate::store::StoreError::NotFound(_)) => None,
                Err(_) => return Ok(()), // the database will be asked again at the next attempt
            }
        } else if owner.subject.starts_with("cli_") {
            match self.store.find_api_client_credentials(&owner.subject).await {
                Ok(Some(client)) => {
                    let f = client.client.fields;
                    Some((f.active, f.role, f.region_code, f.organisation_id))
                }
                Ok(None) => None,
                Err(_) => return Ok(()),
            }
        } else {
            return Ok(());
        };
        match current {
            None => Err("its owner's account no longer exists".to_owned()),
            Some((false, ..)) => Err("its owner's account is deactivated".to_owned()),
            Some((true, role, region, org))
                if role != owner.role || region != owner.region_code || org != owner.organisation_id =>
            {
                Err("its owner's role changed since it subscribed: subscribe again with the new role".to_owned())
            }
            Some(_) => Ok(()),
        }
    }
}

/// The caller whose rights a subscription's deliveries follow, and the part of the log it
/// wants (from any position): its resources and actions, all of them when it names none.
fn feed_of(webhook: &Webhook) -> Result<(Caller, FeedQuery), String> {
    let owner = &webhook.owner;
    let role = Role::from_parts(owner.role, owner.region_code.as_deref(), owner.organisation_id)
        .map_err(|_| "its owner's role is not valid".to_owned())?;
    let caller = Caller::Authenticated(Principal {
        subject: owner.subject.clone(),
        role,
        token_id: String::new(),
    });
    let resources = changes::visible_resources(&caller, webhook.fields.types.as_deref()).map_err(|e| e.to_string())?;
    let actions = match &webhook.fields.actions {
        Some(list) => list.split(',').filter_map(ChangeAction::parse).collect(),
        None => Vec::new(),
    };
    Ok((
        caller,
        FeedQuery {
            after: 0,
            until: None,
            resources,
            actions,
            public_only: false,
            limit: BATCH,
        },
    ))
}

/// An attempt as the store keeps it.
pub fn delivery(message_id: &str, seq: Option<i64>, at: DateTime<Utc>, attempt: &Attempt) -> Delivery {
    Delivery {
        message_id: message_id.to_owned(),
        seq,
        attempted_at: at,
        status: attempt.status.map(i32::from),
        duration_ms: i64::try_from(attempt.duration.as_millis()).unwrap_or(i64::MAX),
        error: attempt.failure(),
        response: attempt.answer.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_32_random_bytes_in_base64_after_whsec() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        let key = a.strip_prefix(SECRET_PREFIX).expect("whsec_ prefix");
        assert_eq!(STANDARD.decode(key).unwrap().len(), 32);
    }

    #[test]
    fn forbidden_refuses_every_non_public_address_and_allows_public_ones() {
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(forbidden(ip).is_some(), "{refused} should be refused");
        }
        for allowed in ["8.8.8.8", "193.51.24.1", "2a01:e0a::1", "::ffff:8.8.8.8"] {
            let ip: IpAddr = allowed.parse().unwrap();
            assert_eq!(forbidden(ip), None, "{allowed} should be allowed");
        }
    }

    #[test]
    fn retry_waits_double_with_jitter_up_to_an_hour() {
        let base = Duration::from_secs(5);
        for _ in 0..100 {
            let first = retry_wait(base, 1);
            assert!(first >= Duration::from_millis(2500) && first <= base, "{first:?}");
            let fourth = retry_wait(base, 4);
            assert!(
                fourth >= Duration::from_secs(20) && fourth <= Duration::from_secs(40),
                "{fourth:?}"
            );
            let late = retry_wait(base, 40);
            assert!(late >= Duration::from_secs(1800) && late <= MAX_RETRY_WAIT, "{late:?}");
        }
    }

    #[tokio::test]
    async fn check_url_refuses_unsafe_urls_unless_the_host_is_allowed() {
        let strict = Sender::new(&WebhookSettings::default()).unwrap();
        for bad in [
            "ftp://hooks.example/x",
            "not a url",
            "http://user:pw@hooks.example/x",
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080/x",
        ] {
            assert!(strict.check_url(bad).await.is_err(), "{bad} should be refused");
        }
        // Not resolvable (yet): nothing to refuse now; every delivery checks again.
        assert!(strict.check_url("https://hooks.invalid/x").await.is_ok());
        let open = Sender::new(&WebhookSettings {
            webhook_allowed_hosts: vec!["127.0.0.1".into(), "localhost".into()],
            ..WebhookSettings::default()
        })
        .unwrap();
        assert!(open.check_url("http://127.0.0.1:9/x").await.is_ok());
        assert!(open.check_url("http://localhost:8080/x").await.is_ok());
        assert!(open.check_url("http://10.0.0.1/x").await.is_err());
    }
}
