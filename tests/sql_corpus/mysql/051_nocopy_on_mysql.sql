-- expect: ZD405
-- server: mysql 8.0.36
ALTER TABLE orders ADD INDEX ix_amount (amount), ALGORITHM=NOCOPY;
