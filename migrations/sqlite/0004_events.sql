-- Events: meetings, conferences, webinars, trainings. Times are stored in UTC; time_zone is the
-- IANA zone they are shown in.
create table events (
    id            blob primary key not null,
    title         text not null,
    -- title folded for search (computed in Rust)
    title_search  text not null,
    description   text,
    kind          text not null check (kind in ('meeting', 'conference', 'webinar', 'training', 'other')),
    status        text not null check (status in ('draft', 'published', 'cancelled')),
    starts_at     text not null,
    ends_at       text not null,
    time_zone     text not null,
    online        boolean not null,
    online_url    text,
    venue         text,
    street        text,
    postal_code   text,
    city          text,
    commune_code  text,
    region_code   text,
    club_id       blob references clubs (id),
    capacity      integer,
    attendance    integer,
    created_at    text not null,
    updated_at    text not null,
    version       integer not null
);

create index events_starts_idx on events (starts_at, id);
create index events_region_starts_idx on events (region_code, starts_at, id);
create index events_status_starts_idx on events (status, starts_at, id);
create index events_club_idx on events (club_id);

-- Organisers link an event and an organisation: while an event has organisers it cannot be
-- deleted (as a club with members cannot), so that no link is ever lost silently; clear them
-- with a PATCH first. Themes are the event's own tags and go with it.
create table event_organisers (
    event_id        blob not null references events (id),
    organisation_id blob not null references organisations (id),
    role            text not null check (role in ('organiser', 'co_organiser', 'partner')),
    primary key (event_id, organisation_id)
);

create index event_organisers_organisation_idx on event_organisers (organisation_id, event_id);

create table event_themes (
    event_id blob not null references events (id) on delete cascade,
    theme    text not null,
    primary key (event_id, theme)
);

create index event_themes_theme_idx on event_themes (theme, event_id);
