-- expect: ZD402
-- server: mysql 8.0.36
ALTER TABLE users MODIFY name VARCHAR(40) NOT NULL;
