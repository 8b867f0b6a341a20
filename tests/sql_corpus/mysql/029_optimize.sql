-- expect: ZD402
-- server: mariadb 10.11
OPTIMIZE TABLE orders;
