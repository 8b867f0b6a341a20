-- expect: ok
-- server: mysql 8.0.36
ALTER TABLE users ADD COLUMN phone VARCHAR(20) AFTER email, ALGORITHM=INSTANT;
