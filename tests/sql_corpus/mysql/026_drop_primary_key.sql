-- expect: ZD401
-- server: mysql 8.0.36
ALTER TABLE orders DROP PRIMARY KEY;
