-- expect: ok
-- server: mariadb 10.11
ALTER TABLE orders MODIFY state VARCHAR(10) CHARACTER SET utf8mb4, ALGORITHM=INSTANT;
