-- expect: ok
-- server: mariadb 10.11
CREATE INDEX ix_orders_amount ON orders (amount) ALGORITHM=NOCOPY LOCK=NONE;
