-- expect: ZD319,ZD320
ALTER TABLE users ADD COLUMN score integer;
UPDATE users SET score = 0;
