-- The ESUS accreditation (agrément « Entreprise solidaire d'utilité sociale ») history of each
-- organisation. 'expired' is never stored: a granted accreditation whose valid_until has passed
-- reads as expired.
create table esus_accreditations (
    id                  blob primary key not null,
    organisation_id     blob not null references organisations (id),
    status              text not null check (status in ('applied', 'granted', 'refused', 'withdrawn')),
    basis               text not null check (basis in ('by_right', 'conditions')),
    applied_on          text not null,
    decided_on          text,
    valid_from          text,
    valid_until         text,
    withdrawn_on        text,
    authority           text,
    department_code     text,
    decision_reference  text,
    notes               text,
    created_at          text not null,
    updated_at          text not null,
    version             integer not null
);

-- an organisation's history, newest first
create index esus_accreditations_organisation_idx on esus_accreditations (organisation_id, applied_on, id);

-- The organisation's ESUS summary: the stored status and end of validity of its latest
-- accreditation (null: none), kept in the same transaction as every accreditation change so
-- that lists filter on it cheaply.
alter table organisations add column esus_status text;
alter table organisations add column esus_valid_until text;
create index organisations_esus_idx on organisations (esus_status, esus_valid_until);
