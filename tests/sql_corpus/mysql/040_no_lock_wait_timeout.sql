-- expect: ZD406
-- server: mysql 8.0.36
-- runner: external
ALTER TABLE users ADD COLUMN phone VARCHAR(20);
