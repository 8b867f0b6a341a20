-- expect: ZD408
-- server: mariadb 10.11
ALTER TABLE users DROP COLUMN bio;
