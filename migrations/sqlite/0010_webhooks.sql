-- Webhook subscriptions: partner systems told of the register's changes by signed HTTP calls.
-- The change log (record_changes) is the outbox: a subscription keeps only its position in it,
-- the seq of the last change delivered or passed over, and its retry state. SQLite serves one
-- instance, whose delivery worker still takes a due subscription under a lease (lease_until,
-- lease_holder) as on PostgreSQL. Storage forms (as sqlx encodes them): uuids as blobs,
-- timestamps as RFC 3339 text, booleans as 0/1.
create table webhooks (
    id                    blob primary key not null,
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
    previous_secret_until text,
    -- whose rights the deliveries follow: the creator's principal
    owner_subject         text not null,
    owner_role            text not null check (owner_role in ('viewer', 'partner', 'cress_manager', 'admin')),
    owner_region_code     text,
    owner_organisation_id blob,
    position              integer not null,
    -- failed attempts at the change after position, since when, and when to try again
    attempts              integer not null default 0,
    failing_since         text,
    next_attempt_at       text,
    lease_until           text,
    lease_holder          text,
    created_at            text not null,
    updated_at            text not null,
    version               integer not null
);

create index webhooks_owner_idx on webhooks (owner_subject, created_at, id);
create index webhooks_due_idx on webhooks (active, next_attempt_at);

-- The recent delivery attempts of each subscription (the newest 100 are kept).
create table webhook_deliveries (
    id           integer not null primary key autoincrement,
    webhook_id   blob not null references webhooks (id),
    -- the webhook-id header: the same for every attempt at one change
    message_id   text not null,
    -- the change's seq; null for a ping
    seq          integer,
    attempted_at text not null,
    -- the receiver's HTTP status; null when there was no answer (refused, timed out, unsafe)
    status       integer,
    duration_ms  integer not null,
    error        text,
    -- at most 1 KiB of the receiver's answer
    response     text
);

create index webhook_deliveries_webhook_idx on webhook_deliveries (webhook_id, id);
