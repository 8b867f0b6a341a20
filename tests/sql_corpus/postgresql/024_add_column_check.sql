-- expect: ZD310
ALTER TABLE users ADD COLUMN karma integer CHECK (karma >= 0);
