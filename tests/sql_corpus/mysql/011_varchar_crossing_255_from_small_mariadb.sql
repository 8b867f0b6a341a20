-- expect: ok
-- server: mariadb 10.11
-- 80 bytes never used the two-byte length: MariaDB grows it instantly.
ALTER TABLE users MODIFY nick VARCHAR(64), ALGORITHM=INSTANT;
