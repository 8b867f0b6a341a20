-- expect: ok
-- server: mysql 8.0.36
-- runner: external
SET SESSION lock_wait_timeout = 5;
ALTER TABLE users ADD COLUMN phone VARCHAR(20);
