-- expect: ZD304
BEGIN;
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
COMMIT;
