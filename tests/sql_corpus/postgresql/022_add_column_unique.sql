-- expect: ZD312
ALTER TABLE users ADD COLUMN handle text UNIQUE;
