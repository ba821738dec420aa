-- `q=` looks for a substring of the folded name (`name_search like '%…%'`): a trigram index
-- answers it without reading every row. pg_trgm is a trusted extension (PostgreSQL 13 and
-- later): the owner of the database may create it. Its objects serve every schema of the
-- database, so it goes to `public` (where it stays if it is already elsewhere), not to the
-- schema this migration runs in, which may be dropped with everything in it.
create extension if not exists pg_trgm schema public;

do $$
begin
    execute format(
        'create index organisations_name_trgm_idx on organisations using gin (name_search %s.gin_trgm_ops)',
        (select extnamespace::regnamespace from pg_extension where extname = 'pg_trgm')
    );
end
$$;
