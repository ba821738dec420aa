-- Accounts: people (users) and machine clients (api_clients), each with a role and the scope of
-- that role, and the refresh tokens of people. Secrets are stored hashed only: passwords with
-- argon2id, client secrets and refresh tokens (256-bit random values) with SHA-256.
-- Storage forms (as sqlx encodes them): uuid as a 16-byte blob, timestamps as RFC 3339 text.
create table users (
    id              blob primary key not null,
    -- lower-cased in Rust, so that the unique index is case-insensitive
    email           text not null,
    password_hash   text not null,
    role            text not null check (role in ('viewer', 'partner', 'cress_manager', 'admin')),
    region_code     text,
    organisation_id blob references organisations (id),
    active          boolean not null,
    created_at      text not null,
    updated_at      text not null,
    version         integer not null,
    check ((region_code is not null) = (role = 'cress_manager')),
    check ((organisation_id is not null) = (role = 'partner'))
);

create unique index users_email_key on users (email);
create index users_organisation_idx on users (organisation_id);

create table api_clients (
    id              blob primary key not null,
    client_id       text not null,
    secret_hash     text not null,
    name            text not null,
    role            text not null check (role in ('viewer', 'partner', 'cress_manager', 'admin')),
    region_code     text,
    organisation_id blob references organisations (id),
    active          boolean not null,
    created_at      text not null,
    updated_at      text not null,
    version         integer not null,
    check ((region_code is not null) = (role = 'cress_manager')),
    check ((organisation_id is not null) = (role = 'partner'))
);

create unique index api_clients_client_id_key on api_clients (client_id);
create index api_clients_name_idx on api_clients (name, id);
create index api_clients_organisation_idx on api_clients (organisation_id);

-- One row per refresh token issued; a login starts a family, each refresh adds a row to it.
-- A token is used once (used_at); presenting a used one again revokes its whole family.
create table refresh_tokens (
    id          blob primary key not null,
    family_id   blob not null,
    user_id     blob not null references users (id) on delete cascade,
    token_hash  text not null,
    expires_at  text not null,
    used_at     text,
    revoked_at  text,
    created_at  text not null
);

create unique index refresh_tokens_hash_key on refresh_tokens (token_hash);
create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_user_idx on refresh_tokens (user_id);
