-- Webhook subscriptions: partner systems told of the register's changes by signed HTTP calls.
-- The change log (record_changes) is the outbox: a subscription keeps only its position in it,
-- the seq of the last change delivered or passed over, and its retry state. A delivery worker
-- in each server takes a due subscription under a lease (lease_until, lease_holder), so that
-- several instances never send one subscription's changes twice at once.
create table webhooks (
    id                    uuid primary key,
    url                   text not null,
    description           text,
    -- comma-separated resources and actions wanted; null: all of them
    types                 text,
    actions               text,
    active                boolean not null,
    -- why the service disabled it (retries exhausted, owner gone); null when active or paused
    disabled_reason       text,
    -- the signing secret (whsec_…), and the one it replaced, which still signs until
    -- previous_secret_until
    secret                text not null,
    previous_secret       text,
    previous_secret_until timestamptz,
    -- whose rights the deliveries follow: the creator's principal
    owner_subject         text not null,
    owner_role            text not null check (owner_role in ('viewer', 'partner', 'cress_manager', 'admin')),
    owner_region_code     text,
    owner_organisation_id uuid,
    position              bigint not null,
    -- failed attempts at the change after position, since when, and when to try again
    attempts              integer not null default 0,
    failing_since         timestamptz,
    next_attempt_at       timestamptz,
    lease_until           timestamptz,
    lease_holder          text,
    created_at            timestamptz not null,
    updated_at            timestamptz not null,
    version               bigint not null
);

create index webhooks_owner_idx on webhooks (owner_subject, created_at, id);
create index webhooks_due_idx on webhooks (active, next_attempt_at);

-- The recent delivery attempts of each subscription (the newest 100 are kept).
create table webhook_deliveries (
    id           bigserial primary key,
    webhook_id   uuid not null references webhooks (id),
    -- the webhook-id header: the same for every attempt at one change
    message_id   text not null,
    -- the change's seq; null for a ping
    seq          bigint,
    attempted_at timestamptz not null,
    -- the receiver's HTTP status; null when there was no answer (refused, timed out, unsafe)
    status       integer,
    duration_ms  bigint not null,
    error        text,
    -- at most 1 KiB of the receiver's answer
    response     text
);

create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id);
