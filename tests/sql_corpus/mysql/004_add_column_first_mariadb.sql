-- expect: ok
-- server: mariadb 10.11
ALTER TABLE users ADD COLUMN phone VARCHAR(20) FIRST, ALGORITHM=INSTANT;
