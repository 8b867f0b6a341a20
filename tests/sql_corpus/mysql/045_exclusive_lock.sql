-- expect: ZD404
-- server: mariadb 10.11
ALTER TABLE orders ADD INDEX ix_amount (amount), LOCK=EXCLUSIVE;
