-- expect: ZD319
BEGIN;
ALTER TABLE orders ADD COLUMN total numeric(12, 2);
INSERT INTO archive SELECT * FROM orders;
COMMIT;
