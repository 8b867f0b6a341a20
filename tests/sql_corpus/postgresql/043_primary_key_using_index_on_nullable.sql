-- expect: ZD309
CREATE UNIQUE INDEX CONCURRENTLY legacy_pkey ON legacy (id);
ALTER TABLE legacy ADD CONSTRAINT legacy_pkey PRIMARY KEY USING INDEX legacy_pkey;
