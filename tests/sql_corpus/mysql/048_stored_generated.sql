-- expect: ZD401
-- server: mysql 8.0.36
ALTER TABLE orders ADD COLUMN total_cents BIGINT AS (total * 100) STORED;
