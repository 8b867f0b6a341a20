-- expect: ZD402
-- server: mysql 8.0.20
ALTER TABLE users ADD COLUMN phone VARCHAR(20) AFTER email;
