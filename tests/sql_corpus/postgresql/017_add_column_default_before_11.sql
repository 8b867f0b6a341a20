-- expect: ZD306
-- server: 10
ALTER TABLE users ADD COLUMN score integer NOT NULL DEFAULT 0;
