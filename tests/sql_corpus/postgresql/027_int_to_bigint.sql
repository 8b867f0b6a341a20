-- expect: ZD308
ALTER TABLE users ALTER COLUMN age TYPE bigint;
