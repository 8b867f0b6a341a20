-- expect: ZD405
-- server: mariadb 10.11
ALTER ONLINE TABLE orders MODIFY amount BIGINT;
