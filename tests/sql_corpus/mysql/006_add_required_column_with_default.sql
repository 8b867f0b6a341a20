-- expect: ok
-- server: mariadb 10.11
ALTER TABLE users ADD COLUMN tier INT NOT NULL DEFAULT 0;
