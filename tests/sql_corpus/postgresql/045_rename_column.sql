-- expect: ZD313
ALTER TABLE users RENAME COLUMN name TO full_name;
