//! Accounts made outside the HTTP API: the first administrator at start-up, and those of the
//! `cress-api user create` and `cress-api client create` commands.

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::password::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, Passwords};
use crate::config::Settings;
use crate::core::Actor;
use crate::core::role::Role;
use crate::domain::contact::Email;
use crate::store::users::{ListAccounts, User, UserFields};
use crate::store::{Store, StoreError};

/// Creates an active user after the checks of the API (e-mail, password length, partner's
/// organisation), with errors worded for a terminal.
pub async fn create_user(
    store: &Store,
    passwords: &Passwords,
    email: &str,
    password: &SecretString,
    role: &Role,
) -> anyhow::Result<User> {
    let email = Email::parse(email)
        .map_err(|invalid| anyhow::anyhow!("the e-mail {email} is invalid: {}", invalid.message))?
        .as_str()
        .to_lowercase();
    let length = password.expose_secret().chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&length) {
        bail!("the password must have {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters, not {length}");
    }
    if let Role::Partner { org } = role {
        match store.get_organisation(*org).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => bail!("no organisation has the id {org}"),
            Err(error) => return Err(anyhow::Error::new(error).context("cannot read the organisation")),
        }
    }
    let fields = UserFields {
        email,
        role: role.name(),
        region_code: role.region().map(|r| r.as_str().to_owned()),
        organisation_id: role.org(),
        active: true,
    };
    let hash = passwords.hash_in_turn(password.clone()).await?;
    store
        .create_user(&fields, &hash, &Actor::system())
        .await
        .map_err(|error| match error {
            StoreError::Duplicate { value, .. } => anyhow::anyhow!("a user with the e-mail {value} exists already"),
            other => anyhow::Error::new(other).context("cannot create the user"),
        })
}

/// On a start that finds no user at all, creates the administrator `ADMIN_EMAIL` with
/// `ADMIN_PASSWORD` when both are set; says in the log what it did or why not.
pub async fn bootstrap_admin(store: &Store, passwords: &Passwords, settings: &Settings) -> anyhow::Result<()> {
    let auth = &settings.auth;
    let (email, password) = match (&auth.admin_email, &auth.admin_password) {
        (Some(email), Some(password)) => (email, password),
        (None, None) => return Ok(()),
        _ => bail!("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither"),
    };
    if store
        .count_users(&ListAccounts::default())
        .await
        .context("cannot count the users")?
        > 0
    {
        tracing::debug!("users exist: ADMIN_EMAIL is not used");
        return Ok(());
    }
    let user = create_user(store, passwords, email, password, &Role::Admin)
        .await
        .context("ADMIN_EMAIL/ADMIN_PASSWORD: cannot create the first administrator")?;
    tracing::info!(user.id = %user.id, "no user existed: created the administrator of ADMIN_EMAIL");
    Ok(())
}
