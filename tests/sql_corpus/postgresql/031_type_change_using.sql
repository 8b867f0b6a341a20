-- expect: ZD308
ALTER TABLE users ALTER COLUMN status TYPE text USING upper(status);
