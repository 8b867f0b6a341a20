-- expect: ZD325
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
