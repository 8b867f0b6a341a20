-- expect: ok
ALTER TABLE users ALTER COLUMN status TYPE text;
