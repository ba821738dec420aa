-- The change log, append-only: one row per write of a record (creation, update, deletion),
-- inserted in the transaction of the write. It serves two views: the change feed
-- (GET /api/v1/changes, ordered by `seq`; users and API clients are never in it) and the audit
-- trail (GET /api/v1/audit and the /history of each record).
-- `seq` is the feed position. On PostgreSQL, sequence values can commit out of order; every
-- writer takes one transaction-level advisory lock just before inserting its row (the last
-- statement before commit), so rows are numbered and committed one after the other.
create table record_changes (
    seq             bigserial primary key,
    at              timestamptz not null,
    -- organisation, esus_accreditation, club, club_member, event, sponsorship, user, api_client
    resource        text not null,
    -- the record's id; for a club member, the member organisation's id
    record_id       uuid not null,
    -- the club of a club member; null for the other resources
    parent_id       uuid,
    action          text not null check (action in ('created', 'updated', 'deleted')),
    -- the record's version after the change (the deleted version for a deletion)
    version         bigint not null,
    -- who: the `sub` of the token (or `system` for the command line and the demo seed), its
    -- role, and whether it is a person, a machine client or the system
    actor_subject   text not null,
    actor_role      text,
    actor_kind      text not null check (actor_kind in ('user', 'client', 'system')),
    -- the policy facts of the record after the change (before it, for a deletion)
    region_code     text,
    organisation_id uuid,
    public          boolean not null,
    -- the record's stored fields after the change (null for a deletion)
    data            jsonb,
    -- {field: {old, new}} of the fields that changed (every field on creation; null for a deletion)
    changes         jsonb
);

create index record_changes_record_idx on record_changes (resource, record_id, seq);
create index record_changes_parent_idx on record_changes (parent_id, seq);
create index record_changes_actor_idx on record_changes (actor_subject, seq);
create index record_changes_at_idx on record_changes (at, seq);
create index record_changes_region_idx on record_changes (region_code, seq);
