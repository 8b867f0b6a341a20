-- expect: ZD409
-- server: mysql 8.0.36
RENAME TABLE orders TO purchases;
