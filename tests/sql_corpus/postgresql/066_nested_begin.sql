-- expect: ZD325
BEGIN;
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
COMMIT;
