-- expect: ZD315
ALTER TABLE users DROP COLUMN bio;
