-- Organisations of the ESS register and the other bodies of the network.
-- Values are validated in Rust (src/domain); the checks here are a safety net.
-- Storage forms (as sqlx encodes them): uuid as a 16-byte blob, dates and timestamps as
-- ISO 8601 / RFC 3339 text in UTC.
create table organisations (
    id                  blob primary key not null,
    name                text not null,
    -- name folded for search and sorting: lower case, no accents (computed in Rust)
    name_search         text not null,
    category            text not null check (category in ('association', 'cooperative', 'mutual',
                            'foundation', 'ess_company', 'local_authority', 'network',
                            'public_body', 'company')),
    siren               text check (length(siren) = 9),
    siret               text check (length(siret) = 14),
    rna                 text,
    legal_category_code text check (length(legal_category_code) = 4),
    region_code         text not null,
    street              text,
    postal_code         text,
    city                text,
    commune_code        text,
    website             text,
    email               text,
    phone               text,
    description         text,
    founded_on          text,
    created_at          text not null,
    updated_at          text not null,
    version             integer not null
);

create unique index organisations_siren_key on organisations (siren);
create unique index organisations_siret_key on organisations (siret);
create unique index organisations_rna_key on organisations (rna);
-- keyset pages: (sort key, id) for each sort, alone and under the common filters
create index organisations_name_idx on organisations (name_search, id);
create index organisations_created_idx on organisations (created_at, id);
create index organisations_region_name_idx on organisations (region_code, name_search, id);
create index organisations_category_name_idx on organisations (category, name_search, id);
