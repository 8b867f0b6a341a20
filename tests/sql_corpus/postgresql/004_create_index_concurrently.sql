-- expect: ok
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);
