-- expect: ZD402,ZD408
-- server: mysql 8.0.20
ALTER TABLE users DROP COLUMN bio;
