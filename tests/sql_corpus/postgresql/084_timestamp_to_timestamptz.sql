-- expect: ZD308
ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz;
