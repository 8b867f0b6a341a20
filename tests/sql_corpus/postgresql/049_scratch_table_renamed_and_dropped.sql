-- expect: ok
CREATE TABLE import_batch (id bigint PRIMARY KEY, raw text);
ALTER TABLE import_batch RENAME COLUMN raw TO payload;
ALTER TABLE import_batch DROP COLUMN payload;
DROP TABLE import_batch;
