-- expect: ZD411
-- server: mysql 8.0.36
TRUNCATE TABLE orders;
