-- expect: ZD407
-- server: mysql 8.0.36
ALTER TABLE users RENAME COLUMN nick TO nickname;
