-- expect: ZD401
-- server: mariadb 10.11
ALTER TABLE orders ADD CONSTRAINT ck_amount CHECK (amount >= 0);
