-- expect: ok
-- server: mysql 8.0.36
-- zdmigrate: ignore ZD401 the table holds a few hundred rows
ALTER TABLE orders MODIFY amount BIGINT;
ALTER TABLE users DROP COLUMN bio; -- zdmigrate: ignore ZD408 nothing reads bio since 2.3
