-- Clubs run by a Cress (such as its club of local authorities for the ESS) and their members.
create table clubs (
    id                   uuid primary key,
    name                 text not null,
    -- name folded for search and sorting (computed in Rust)
    name_search          text collate "C" not null,
    region_code          text not null,
    host_organisation_id uuid not null references organisations (id),
    description          text,
    audience             text,
    created_at           timestamptz not null,
    updated_at           timestamptz not null,
    version              bigint not null
);

create index clubs_name_idx on clubs (name_search, id);
create index clubs_region_name_idx on clubs (region_code, name_search, id);
create index clubs_host_idx on clubs (host_organisation_id);

-- One membership per organisation and club: leaving sets left_on, rejoining clears it.
create table club_members (
    club_id         uuid not null references clubs (id),
    organisation_id uuid not null references organisations (id),
    role            text not null check (role in ('member', 'steering_committee', 'patron', 'facilitator')),
    joined_on       date not null,
    left_on         date,
    created_at      timestamptz not null,
    updated_at      timestamptz not null,
    version         bigint not null,
    primary key (club_id, organisation_id)
);

create index club_members_organisation_idx on club_members (organisation_id);
