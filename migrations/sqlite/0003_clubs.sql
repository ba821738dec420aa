-- Clubs run by a Cress (such as its club of local authorities for the ESS) and their members.
create table clubs (
    id                   blob primary key not null,
    name                 text not null,
    -- name folded for search and sorting (computed in Rust)
    name_search          text not null,
    region_code          text not null,
    host_organisation_id blob not null references organisations (id),
    description          text,
    audience             text,
    created_at           text not null,
    updated_at           text not null,
    version              integer not null
);

create index clubs_name_idx on clubs (name_search, id);
create index clubs_region_name_idx on clubs (region_code, name_search, id);
create index clubs_host_idx on clubs (host_organisation_id);

-- One membership per organisation and club: leaving sets left_on, rejoining clears it.
create table club_members (
    club_id         blob not null references clubs (id),
    organisation_id blob not null references organisations (id),
    role            text not null check (role in ('member', 'steering_committee', 'patron', 'facilitator')),
    joined_on       text not null,
    left_on         text,
    created_at      text not null,
    updated_at      text not null,
    version         integer not null,
    primary key (club_id, organisation_id)
);

create index club_members_organisation_idx on club_members (organisation_id);
