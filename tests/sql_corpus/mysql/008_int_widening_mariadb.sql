-- expect: ZD401
-- server: mariadb 10.11
ALTER TABLE orders MODIFY COLUMN amount BIGINT;
