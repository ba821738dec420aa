-- Sponsorships: a sponsor organisation supports exactly one beneficiary (a club, an event or an
-- organisation). One foreign key per kind of beneficiary, exactly one of them set, so that the
-- database itself refuses to delete a beneficiary that is still sponsored.
create table sponsorships (
    id                          blob primary key not null,
    sponsor_id                  blob not null references organisations (id),
    beneficiary_type            text not null check (beneficiary_type in ('club', 'event', 'organisation')),
    beneficiary_club_id         blob references clubs (id),
    beneficiary_event_id        blob references events (id),
    beneficiary_organisation_id blob references organisations (id),
    kind                        text not null check (kind in ('financial_patronage', 'in_kind_patronage',
                                    'skills_patronage', 'commercial_sponsorship')),
    amount_cents                integer not null check (amount_cents > 0),
    currency                    text not null check (currency = 'EUR'),
    counterparts_cents          integer not null check (counterparts_cents >= 0),
    starts_on                   text not null,
    ends_on                     text,
    status                      text not null check (status in ('proposed', 'active', 'ended', 'cancelled')),
    public                      boolean not null,
    agreement_reference         text,
    notes                       text,
    created_at                  text not null,
    updated_at                  text not null,
    version                     integer not null,
    check ((beneficiary_club_id is not null) = (beneficiary_type = 'club')),
    check ((beneficiary_event_id is not null) = (beneficiary_type = 'event')),
    check ((beneficiary_organisation_id is not null) = (beneficiary_type = 'organisation'))
);

create index sponsorships_sponsor_idx on sponsorships (sponsor_id, starts_on, id);
create index sponsorships_starts_idx on sponsorships (starts_on, id);
create index sponsorships_club_idx on sponsorships (beneficiary_club_id);
create index sponsorships_event_idx on sponsorships (beneficiary_event_id);
create index sponsorships_organisation_idx on sponsorships (beneficiary_organisation_id);
