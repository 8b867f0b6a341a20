-- expect: ZD307
ALTER TABLE users ADD COLUMN country text NOT NULL;
