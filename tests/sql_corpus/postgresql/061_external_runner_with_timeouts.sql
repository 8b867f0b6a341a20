-- expect: ok
-- runner: external
SET lock_timeout = '2s';
SET statement_timeout = '30s';
ALTER TABLE users ADD COLUMN nickname text;
