-- expect: ZD304
-- runner: external
SET lock_timeout = '2s';
SET statement_timeout = '10min';
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
