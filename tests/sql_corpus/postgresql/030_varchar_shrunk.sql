-- expect: ZD308
ALTER TABLE users ALTER COLUMN email TYPE varchar(50);
