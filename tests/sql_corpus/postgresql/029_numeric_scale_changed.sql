-- expect: ZD308
ALTER TABLE orders ALTER COLUMN amount TYPE numeric(10, 3);
