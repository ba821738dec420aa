-- Failed logins, counted in the database so that every instance shares the counts and a restart
-- keeps them. One row per counter: an account from one address, an account from anywhere, an
-- address whatever the account. `key` is the SHA-256 (hex) of the counter's name, so that no
-- e-mail or address is kept in clear. A login reserves one failure on each of its counters
-- before the password is checked (so that parallel guesses count as sequential ones), and gives
-- the reservation back when the password was right. Counts restart once their window is over.
-- Storage forms (as sqlx encodes them): timestamps as RFC 3339 text.
create table login_limits (
    key          text primary key not null,
    window_start text not null,
    failures     integer not null check (failures >= 0)
);

create index login_limits_window_idx on login_limits (window_start);
