-- expect: ok
-- runner: external
-- migrate:up transaction:false
SET lock_timeout = '2s';
SET statement_timeout = '10min';
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);

-- migrate:down
DROP INDEX CONCURRENTLY users_name_idx;
