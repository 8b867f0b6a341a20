-- expect: ZD303
-- server: 11
REINDEX TABLE users;
