-- expect: ok
CREATE TABLE drafts (id bigint PRIMARY KEY, title varchar(50));
ALTER TABLE drafts ALTER COLUMN title TYPE integer USING length(title);
