-- `q=` looks for a substring of the folded name: an FTS5 index of its trigrams (SQLite 3.34
-- and later) answers `name_search like '%…%'` without reading every row; a pattern with fewer
-- than three letters is answered by reading them all, with the same results. The index reads
-- the names from `organisations` by rowid (external content) and these triggers keep it up to
-- date.
create virtual table organisations_search using fts5(
    name_search,
    content = 'organisations',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
insert into organisations_search (organisations_search) values ('rebuild');

create trigger organisations_search_insert after insert on organisations begin
    insert into organisations_search (rowid, name_search) values (new.rowid, new.name_search);
end;

create trigger organisations_search_delete after delete on organisations begin
    insert into organisations_search (organisations_search, rowid, name_search)
        values ('delete', old.rowid, old.name_search);
end;

create trigger organisations_search_update after update of name_search on organisations begin
    insert into organisations_search (organisations_search, rowid, name_search)
        values ('delete', old.rowid, old.name_search);
    insert into organisations_search (rowid, name_search) values (new.rowid, new.name_search);
end;
