-- expect: ok
-- server: mysql 8.0.36
ALTER TABLE users MODIFY status ENUM('active','blocked','deleted') NOT NULL DEFAULT 'active', ALGORITHM=INSTANT;
