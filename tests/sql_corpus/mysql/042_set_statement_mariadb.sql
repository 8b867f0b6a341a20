-- expect: ok
-- server: mariadb 10.11
-- runner: external
SET STATEMENT lock_wait_timeout = 5 FOR ALTER TABLE users ADD COLUMN phone VARCHAR(20);
ALTER TABLE orders WAIT 5 ADD COLUMN paid_at DATETIME;
