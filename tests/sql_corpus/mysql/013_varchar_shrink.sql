-- expect: ZD401
-- server: mariadb 10.11
ALTER TABLE users MODIFY name VARCHAR(30);
