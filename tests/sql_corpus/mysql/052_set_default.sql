-- expect: ok
-- server: mariadb 10.11
ALTER TABLE users ALTER COLUMN status SET DEFAULT 'blocked', ALGORITHM=INSTANT;
