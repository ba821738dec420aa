-- Idempotency keys of POST requests (the `Idempotency-Key` header): one row per caller (the `sub`
-- of its token) and key, kept 24 hours from the first use. The row is inserted `in_progress`
-- when the first request starts (the insert is the lock: a second insert of the same key finds
-- it), and becomes `done` with the answer to replay (status, the headers that matter, body) when
-- that request ends. Answers that carry credentials (tokens, client secrets) are never stored.
create table idempotency_keys (
    subject               text not null,
    idempotency_key       text not null,
    -- SHA-256 (hex) of the method, path, query, content type and body of the first request
    fingerprint           text not null,
    state                 text not null check (state in ('in_progress', 'done')),
    started_at            timestamptz not null,
    expires_at            timestamptz not null,
    response_status       integer check (response_status between 100 and 599),
    response_content_type text,
    response_location     text,
    response_etag         text,
    response_body         bytea,
    primary key (subject, idempotency_key),
    check ((state = 'done') = (response_status is not null and response_body is not null))
);

create index idempotency_keys_expires_idx on idempotency_keys (expires_at);
