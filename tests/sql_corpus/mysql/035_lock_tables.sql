-- expect: ZD412
-- server: mariadb 10.11
LOCK TABLES orders WRITE;
ALTER TABLE orders ADD COLUMN paid_at DATETIME;
UNLOCK TABLES;
