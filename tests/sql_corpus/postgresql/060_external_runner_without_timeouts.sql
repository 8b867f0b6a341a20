-- expect: ZD321
-- runner: external
ALTER TABLE users ADD COLUMN nickname text;
