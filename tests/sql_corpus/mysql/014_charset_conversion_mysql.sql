-- expect: ZD401
-- server: mysql 8.0.36
ALTER TABLE orders MODIFY state VARCHAR(10) CHARACTER SET utf8mb4;
