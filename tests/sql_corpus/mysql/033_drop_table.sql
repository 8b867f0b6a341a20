-- expect: ZD410
-- server: mariadb 10.11
DROP TABLE IF EXISTS orders;
